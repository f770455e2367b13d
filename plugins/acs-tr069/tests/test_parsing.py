"""The safe reader and the tolerant message parser, without HTTP."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import pytest

from rjchronos_acs_tr069 import faults, messages
from rjchronos_acs_tr069.xmlsafe import BadRequest, parse_xml, read_body


async def _chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def read(data: bytes, encoding: str | None = None, limit: int = 4096) -> bytes:
    return asyncio.run(
        read_body(_chunks(data), content_length=None, content_encoding=encoding, limit=limit)
    )


def test_bodies_are_bounded_before_and_after_inflating() -> None:
    assert read(b"x" * 4096) == b"x" * 4096
    with pytest.raises(BadRequest) as too_big:
        read(b"x" * 4097)
    assert too_big.value.status == 413
    with pytest.raises(BadRequest) as bomb:
        read(gzip.compress(b"\0" * 100_000), "gzip")
    assert bomb.value.status == 413
    assert read(gzip.compress(b"<a/>"), "GZIP") == b"<a/>"
    with pytest.raises(BadRequest) as declared:
        asyncio.run(
            read_body(_chunks(b""), content_length="5000", content_encoding=None, limit=4096)
        )
    assert declared.value.status == 413


def test_doctype_in_any_case_is_refused() -> None:
    with pytest.raises(BadRequest, match="document type"):
        parse_xml(b'<!doctype a [<!ENTITY x "y">]><a>&x;</a>')


def test_event_codes_are_normalised() -> None:
    assert messages.normalise_event(" 1   boot ") == "1 BOOT"
    assert messages.normalise_event("m reboot") == "M Reboot"
    assert messages.normalise_event("X 00259E Custom") == "X 00259E Custom"


def test_a_soap_fault_without_cwmp_detail_is_still_read() -> None:
    body = parse_xml(b"<Fault><faultcode>Server</faultcode><faultstring>oops</faultstring></Fault>")
    fault = messages.read_fault(body)
    assert (fault.code, fault.message) == (0, "oops")


def test_fault_meanings() -> None:
    assert faults.meaning(9008) == "Attempt to set a non-writable parameter"
    assert faults.meaning(9032).startswith("Invalid deployment unit update")
    assert faults.meaning(9899) == "Vendor-specific fault"
    assert faults.meaning(9500) == "Unknown fault code"
