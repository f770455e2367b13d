"""The one place that normalises device serial numbers and MAC addresses.

A GPON serial is 4 vendor letters and 8 hex digits. Who prints it decides its
spelling: an OLT CLI shows ``HWTC-11E70E9A`` or ``HWTC11E70E9A``, a CPE's
TR-069 ``SerialNumber`` or an SNMP table shows ``4857544311E70E9A`` (the
vendor letters as hex ASCII). Every plugin and simulator stores and compares
the canonical form, ``HWTC11E70E9A``, so a device found by one protocol is
recognised by the others.
"""

from __future__ import annotations

import re
import string

_GPON_TEXT = re.compile(r"([A-Z]{4})([0-9A-F]{8})")
_GPON_HEX = re.compile(r"([0-9A-F]{8})([0-9A-F]{8})")
_HEX = frozenset(string.hexdigits)


def normalise_gpon_serial(text: str) -> str:
    """The canonical GPON serial: 4 upper-case vendor letters and 8 upper-case hex digits.

    Accepts ``HWTC-11E70E9A``, ``HWTC11E70E9A``, ``hwtc11e70e9a``,
    ``4857544311E70E9A`` (hex of the ASCII vendor id) and any of these with
    spaces. Raises :class:`ValueError` naming the input for anything else.
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a GPON serial: expected text")
    compact = "".join(text.split()).replace("-", "")
    compact = compact.upper() if compact.isascii() else ""  # no look-alikes such as "\ufb00"
    if match := _GPON_TEXT.fullmatch(compact):
        return match.group(1) + match.group(2)
    if match := _GPON_HEX.fullmatch(compact):
        vendor = bytes.fromhex(match.group(1)).decode("latin-1").upper()
        if vendor.isascii() and vendor.isalpha():
            return vendor + match.group(2)
    raise ValueError(
        f"{text!r} is not a GPON serial: expected 4 vendor letters and 8 hex digits "
        "(HWTC11E70E9A or HWTC-11E70E9A) or 16 hex digits (4857544311E70E9A)"
    )


def display_gpon_serial(text: str) -> str:
    """The dashed form operators read, ``HWTC-11E70E9A``; accepts what
    :func:`normalise_gpon_serial` accepts."""
    canonical = normalise_gpon_serial(text)
    return f"{canonical[:4]}-{canonical[4:]}"


def gpon_serial_hex(text: str) -> str:
    """The all-hex form, ``4857544311E70E9A``, that TR-069 and SNMP agents report."""
    canonical = normalise_gpon_serial(text)
    return canonical[:4].encode("ascii").hex().upper() + canonical[4:]


def is_gpon_serial(text: str) -> bool:
    """Whether ``text`` is a GPON serial in any accepted spelling."""
    try:
        normalise_gpon_serial(text)
    except ValueError:
        return False
    return True


def canonical_serial(text: str) -> str:
    """How inventory stores and matches any device serial.

    A GPON serial in any spelling becomes its canonical form; any other
    serial (a CPE's or an OLT's own) is trimmed and upper-cased, so searches
    ignore case. Raises :class:`ValueError` for an empty serial.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{text!r} is not a serial number: expected non-empty text")
    try:
        return normalise_gpon_serial(text)
    except ValueError:
        return text.strip().upper()


def normalise_mac(text: str) -> str:
    """A MAC address in lower-case colon form, ``00:25:9e:11:e7:0e``.

    Accepts colons, dashes, Cisco dots (``0025.9e11.e70e``), bare hex and
    surrounding or inner spaces. Raises :class:`ValueError` naming the input
    for anything else.
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a MAC address: expected text")
    digits = "".join(text.split()).replace(":", "").replace("-", "").replace(".", "")
    if len(digits) != 12 or not _HEX.issuperset(digits) or not _well_grouped(text):
        raise ValueError(
            f"{text!r} is not a MAC address: expected 12 hex digits such as "
            "00:25:9e:11:e7:0e, 00-25-9E-11-E7-0E, 0025.9e11.e70e or 00259E11E70E"
        )
    digits = digits.lower()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def _well_grouped(text: str) -> bool:
    """Separators, when present, split the digits the usual ways (2x6 or Cisco 4x3)."""
    compact = "".join(text.split())
    for separator, width in ((":", 2), ("-", 2), (".", 4)):
        if separator in compact:
            groups = compact.split(separator)
            others = {":", "-", "."} - {separator}
            if any(o in compact for o in others):
                return False
            return all(len(group) == width for group in groups)
    return True


__all__ = [
    "canonical_serial",
    "display_gpon_serial",
    "gpon_serial_hex",
    "is_gpon_serial",
    "normalise_gpon_serial",
    "normalise_mac",
]
