"""The serial and MAC normalisers every plugin and simulator relies on."""

from __future__ import annotations

import string
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rjchronos.serials import (
    canonical_serial,
    display_gpon_serial,
    gpon_serial_hex,
    is_gpon_serial,
    normalise_gpon_serial,
    normalise_mac,
)

vendors = st.text(alphabet=string.ascii_uppercase, min_size=4, max_size=4)
hex8 = st.text(alphabet="0123456789ABCDEF", min_size=8, max_size=8)


@pytest.mark.parametrize(
    "spelling",
    [
        "HWTC-11E70E9A",
        "HWTC11E70E9A",
        "hwtc11e70e9a",
        "hwtc-11e70e9a",
        "4857544311E70E9A",
        "4857544311e70e9a",
        "  HWTC 11E7 0E9A ",
        "HWTC - 11E70E9A",
        "\tHWTC11E70E9A\n",
        "48 57 54 43 11 E7 0E 9A",
    ],
)
def test_every_spelling_of_a_gpon_serial_is_one_canonical_form(spelling: str) -> None:
    assert normalise_gpon_serial(spelling) == "HWTC11E70E9A"
    assert display_gpon_serial(spelling) == "HWTC-11E70E9A"
    assert gpon_serial_hex(spelling) == "4857544311E70E9A"
    assert is_gpon_serial(spelling)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "HWTC11E70E9",  # 7 hex digits
        "HWTC11E70E9AB",  # 9 hex digits
        "HWT011E70E9A",  # a digit in the vendor id
        "HWTC11E70E9G",  # G is not hex
        "0000000011E70E9A",  # the vendor part is not letters
        "4857544311E70E9",  # 15 hex digits
        "FF57544311E70E9A",  # not ASCII
        "HWTC_11E70E9A",
        "HWTC:11E70E9A",
    ],
)
def test_anything_else_is_refused_naming_the_input(text: str) -> None:
    with pytest.raises(ValueError, match="is not a GPON serial") as raised:
        normalise_gpon_serial(text)
    assert repr(text) in str(raised.value)
    assert not is_gpon_serial(text)


def test_a_non_text_serial_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="expected text"):
        normalise_gpon_serial(cast(Any, 1234))


def test_canonical_serial_keeps_other_vendors_serials_trimmed_and_upper_case() -> None:
    assert canonical_serial("4857544311E70E9A") == "HWTC11E70E9A"
    assert canonical_serial(" 22ab0001 ") == "22AB0001"
    assert canonical_serial("SN-2024-x") == "SN-2024-X"
    with pytest.raises(ValueError, match="non-empty"):
        canonical_serial("  ")


@given(vendor=vendors, number=hex8)
def test_property_every_spelling_round_trips(vendor: str, number: str) -> None:
    canonical = vendor + number
    spellings = [
        canonical,
        canonical.lower(),
        f"{vendor}-{number}",
        f" {vendor.lower()} - {number.lower()} ",
        vendor.encode().hex() + number,
        vendor.encode().hex().lower() + number.lower(),
    ]
    for spelling in spellings:
        assert normalise_gpon_serial(spelling) == canonical
    assert normalise_gpon_serial(display_gpon_serial(canonical)) == canonical
    assert normalise_gpon_serial(gpon_serial_hex(canonical)) == canonical


@given(st.text(max_size=20))
def test_property_the_normaliser_accepts_only_what_it_can_put_back(text: str) -> None:
    try:
        canonical = normalise_gpon_serial(text)
    except ValueError as exc:
        assert repr(text) in str(exc)
        return
    assert len(canonical) == 12
    assert canonical[:4].isascii() and canonical[:4].isalpha() and canonical[:4].isupper()
    assert all(c in "0123456789ABCDEF" for c in canonical[4:])
    assert normalise_gpon_serial(canonical) == canonical


@pytest.mark.parametrize(
    "spelling",
    [
        "00:25:9e:11:e7:0e",
        "00:25:9E:11:E7:0E",
        "00-25-9E-11-E7-0E",
        "0025.9e11.e70e",
        "00259E11E70E",
        " 00 25 9e 11 e7 0e ",
    ],
)
def test_every_spelling_of_a_mac_is_lower_case_colon_form(spelling: str) -> None:
    assert normalise_mac(spelling) == "00:25:9e:11:e7:0e"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "00:25:9e:11:e7",
        "00:25:9e:11:e7:0e:ff",
        "00:25:9e:11:e7:0g",
        "00:25-9e:11:e7:0e",  # mixed separators
        "002:59e:11e:70e",  # odd grouping
        "0025.9e11e70e",
    ],
)
def test_a_bad_mac_is_refused_naming_the_input(text: str) -> None:
    with pytest.raises(ValueError, match="is not a MAC address") as raised:
        normalise_mac(text)
    assert repr(text) in str(raised.value)


@given(st.binary(min_size=6, max_size=6), st.sampled_from([":", "-", ""]), st.booleans())
def test_property_mac_spellings_round_trip(raw: bytes, separator: str, upper: bool) -> None:
    octets = [f"{b:02x}" for b in raw]
    text = separator.join(octets)
    text = text.upper() if upper else text
    expected = ":".join(octets)
    assert normalise_mac(text) == expected
    cisco = ".".join(raw.hex()[i : i + 4] for i in range(0, 12, 4))
    assert normalise_mac(cisco) == expected
