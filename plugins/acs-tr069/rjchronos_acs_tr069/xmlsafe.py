"""Reading CWMP request bodies safely: bounded size, bounded decompression, no entities.

Every CPE body goes through :func:`read_body` and :func:`parse_xml`: the one
parser configuration expands no entity, loads no DTD, touches no network and
keeps libxml2's limits on (``huge_tree=False``); documents with a DTD are
refused outright (SOAP forbids them), and so are trees deeper than
:data:`MAX_DEPTH`.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import AsyncIterator
from typing import Any

from lxml import etree

#: Default bound of a request body, before and after decompression.
DEFAULT_MAX_BODY = 1 << 20
#: Deepest element nesting accepted; real CWMP messages stay under ten.
MAX_DEPTH = 32


class BadRequest(Exception):
    """A body the ACS will not read; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


_PARSER = _parser()
#: Whether the document has an element below :data:`MAX_DEPTH` levels (the root is level 1).
_TOO_DEEP = etree.XPath("boolean(" + "/*" * (MAX_DEPTH + 1) + ")")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


async def read_body(
    chunks: AsyncIterator[bytes],
    *,
    content_length: str | None,
    content_encoding: str | None,
    limit: int = DEFAULT_MAX_BODY,
) -> bytes:
    """Read a request body, inflating gzip or deflate, never holding more than ``limit`` bytes.

    :raises BadRequest: 413 when the body (or what it inflates to) is too
        large, 415 for an unknown encoding, 400 for a body that does not
        decode.
    """
    if content_length and content_length.strip().isdigit() and int(content_length) > limit:
        raise BadRequest(413, f"the body may hold at most {limit} bytes")
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        inflater: Any = None
    elif encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflater = _DeflateInflater()
    else:
        raise BadRequest(
            415, f"content encoding {encoding!r} is not supported: use gzip or deflate"
        )
    received = 0
    body = bytearray()
    async for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise BadRequest(413, f"the body may hold at most {limit} bytes")
        if inflater is None:
            body += chunk
            continue
        try:
            body += inflater.decompress(chunk, limit + 1 - len(body))
            if inflater.unconsumed_tail:
                raise BadRequest(413, f"the body inflates to more than {limit} bytes")
        except zlib.error as exc:
            raise BadRequest(400, f"the body is not valid {encoding}: {exc}") from None
        if len(body) > limit:
            raise BadRequest(413, f"the body inflates to more than {limit} bytes")
    if inflater is not None and received and not inflater.eof:
        raise BadRequest(400, f"the {encoding} body is truncated")
    return bytes(body)


class _DeflateInflater:
    """``deflate`` as RFC 9110 means it (zlib-wrapped), or raw deflate as many clients send it."""

    def __init__(self) -> None:
        self._inner: zlib._Decompress | None = None
        self.unconsumed_tail = b""
        self.eof = False

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._inner is None:
            wrapped = (
                len(data) >= 2 and (data[0] & 0x0F) == 8 and (data[0] << 8 | data[1]) % 31 == 0
            )
            self._inner = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        out = self._inner.decompress(data, max_length)
        self.unconsumed_tail = self._inner.unconsumed_tail
        self.eof = self._inner.eof
        return out


def parse_xml(body: bytes) -> etree._Element:
    """Parse a CPE's XML body with the safe parser configuration.

    :raises BadRequest: 400 for malformed XML, bad encoding, a DTD or a tree
        deeper than :data:`MAX_DEPTH`.
    """
    if _DOCTYPE.search(body):
        raise BadRequest(400, "document type declarations are not allowed in SOAP messages")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadRequest(400, f"the body is not well-formed XML: {exc}") from None
    if root is None:
        raise BadRequest(400, "the body holds no XML element")
    if root.getroottree().docinfo.doctype:
        raise BadRequest(400, "document type declarations are not allowed in SOAP messages")
    if _TOO_DEEP(root):
        raise BadRequest(400, f"the XML is nested deeper than {MAX_DEPTH} levels")
    return root
