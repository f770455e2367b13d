"""CWMP SOAP envelopes as a CPE writes and reads them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CWMP_NAMESPACES = {"1.0": "urn:dslforum-org:cwmp-1-0", "1.2": "urn:dslforum-org:cwmp-1-2"}
SUPPORTED_VERSIONS = "1.0,1.1,1.2,1.3,1.4"
MAX_BODY = 4 * 1024 * 1024

FAULT_STRINGS = {
    9000: "Method not supported",
    9001: "Request denied",
    9002: "Internal error",
    9003: "Invalid arguments",
    9004: "Resources exceeded",
    9005: "Invalid parameter name",
    9006: "Invalid parameter type",
    9007: "Invalid parameter value",
    9008: "Attempt to set a non-writable parameter",
    9009: "Notification request rejected",
    9010: "Download failure",
    9011: "Upload failure",
    9012: "File transfer server authentication failure",
    9013: "Unsupported protocol for file transfer",
    9017: "Download failure: unable to complete download",
    9018: "Download failure: file corrupted",
    9021: "Cancelation of file transfer not permitted in current transfer state",
}
_CLIENT_FAULTS = {9003, 9005, 9006, 9007, 9008, 9013, 9021}


class CwmpFault(Exception):
    """A CWMP fault the CPE answers with instead of the RPC's response."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        parameter_faults: list[tuple[str, int]] | None = None,
    ) -> None:
        self.code = code
        self.message = message or FAULT_STRINGS.get(code, "Fault")
        self.parameter_faults = parameter_faults or []
        super().__init__(f"{code} {self.message}")


@dataclass(frozen=True, slots=True)
class Prefixes:
    """Namespace prefixes used on the wire (real CPEs differ)."""

    env: str = "soap-env"
    enc: str = "soap-enc"
    cwmp: str = "cwmp"


STANDARD_PREFIXES = Prefixes()
ODD_PREFIXES = Prefixes(env="SOAP-ENV", enc="SOAP-ENC", cwmp="ns9")


@dataclass(slots=True)
class AcsMessage:
    """One message the ACS sent: an RPC request, a response to ours, or a fault."""

    method: str
    """Local name of the Body's first element (``GetParameterValues``, ``InformResponse``)."""
    element: etree._Element
    id: str | None
    hold_requests: bool
    use_version: str | None


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_blank_text=True,
)


class MalformedMessage(ValueError):
    """The ACS sent something that is not a CWMP SOAP envelope."""


def parse(body: bytes) -> AcsMessage:
    """Parse an ACS message safely: no DTD, no entities, no network, bounded size."""
    if len(body) > MAX_BODY:
        raise MalformedMessage("message too large")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise MalformedMessage(f"not XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise MalformedMessage("document type declarations are not accepted")
    if etree.QName(root).localname != "Envelope":
        raise MalformedMessage("not a SOAP envelope")
    header = body_element = None
    for child in root:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "Header":
            header = child
        elif name == "Body":
            body_element = child
    if body_element is None or not len(body_element):
        raise MalformedMessage("SOAP envelope without a body")
    message_id = use_version = None
    hold = False
    for item in header if header is not None else ():
        if not isinstance(item.tag, str):
            continue
        name = etree.QName(item).localname
        if name == "ID":
            message_id = (item.text or "").strip()
        elif name == "HoldRequests":
            hold = (item.text or "").strip().lower() in ("1", "true")
        elif name == "UseCWMPVersion":
            use_version = (item.text or "").strip()
    rpc = body_element[0]
    return AcsMessage(etree.QName(rpc).localname, rpc, message_id, hold, use_version)


def child(element: etree._Element, name: str) -> etree._Element | None:
    """The first child named ``name`` whatever its namespace prefix."""
    for item in element:
        if isinstance(item.tag, str) and etree.QName(item).localname == name:
            return item
    return None


def text(element: etree._Element, name: str, default: str | None = None) -> str:
    """The text of child ``name``; a missing child is a 9003 fault unless a default is given."""
    found = child(element, name)
    if found is None:
        if default is None:
            raise CwmpFault(9003, f"missing argument {name}")
        return default
    return (found.text or "").strip()


def items(element: etree._Element, name: str) -> list[etree._Element]:
    """The elements of the array argument ``name`` (empty when absent)."""
    found = child(element, name)
    return [] if found is None else [item for item in found if isinstance(item.tag, str)]


class Writer:
    """Builds envelopes in one namespace with one prefix set."""

    def __init__(self, namespace: str, prefixes: Prefixes, *, wrong_array_type: bool = False):
        self.namespace = namespace
        self.p = prefixes
        self.wrong_array_type = wrong_array_type

    def envelope(self, body: str, message_id: str | None, *, inform: bool = False) -> bytes:
        p = self.p
        header = ""
        if message_id is not None:
            header = f'<{p.cwmp}:ID {p.env}:mustUnderstand="1">{escape(message_id)}</{p.cwmp}:ID>'
        if inform and self.namespace.endswith("1-2"):
            header += (
                f'<{p.cwmp}:SupportedCWMPVersions {p.env}:mustUnderstand="0">'
                f"{SUPPORTED_VERSIONS}</{p.cwmp}:SupportedCWMPVersions>"
            )
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<{p.env}:Envelope xmlns:{p.env}="{SOAP_ENV}" '
            f'xmlns:{p.enc}="http://schemas.xmlsoap.org/soap/encoding/" '
            f'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xmlns:{p.cwmp}="{self.namespace}">'
            f"<{p.env}:Header>{header}</{p.env}:Header>"
            f"<{p.env}:Body>{body}</{p.env}:Body></{p.env}:Envelope>"
        ).encode()

    def rpc(self, method: str, content: str) -> str:
        return f"<{self.p.cwmp}:{method}>{content}</{self.p.cwmp}:{method}>"

    def array(self, name: str, item_type: str, entries: list[str]) -> str:
        count = len(entries) + 1 if self.wrong_array_type else len(entries)
        type_name = item_type if ":" in item_type else f"{self.p.cwmp}:{item_type}"
        return f'<{name} {self.p.enc}:arrayType="{type_name}[{count}]">{"".join(entries)}</{name}>'

    def values(self, name: str, values: Iterable[tuple[str, str, str]]) -> str:
        """A ParameterValueStruct array from (name, value, xsd type) triples."""
        entries = [
            f'<ParameterValueStruct><Name>{escape(path)}</Name><Value xsi:type="xsd:{kind}">'
            f"{escape(value)}</Value></ParameterValueStruct>"
            for path, value, kind in values
        ]
        return self.array(name, "ParameterValueStruct", entries)

    def fault(self, fault: CwmpFault, message_id: str | None) -> bytes:
        p = self.p
        extra = "".join(
            f"<SetParameterValuesFault><ParameterName>{escape(name)}</ParameterName>"
            f"<FaultCode>{code}</FaultCode><FaultString>{FAULT_STRINGS.get(code, 'Fault')}"
            f"</FaultString></SetParameterValuesFault>"
            for name, code in fault.parameter_faults
        )
        side = "Client" if fault.code in _CLIENT_FAULTS else "Server"
        body = (
            f"<{p.env}:Fault><faultcode>{side}</faultcode><faultstring>CWMP fault</faultstring>"
            f"<detail><{p.cwmp}:Fault><FaultCode>{fault.code}</FaultCode>"
            f"<FaultString>{escape(fault.message)}</FaultString>{extra}</{p.cwmp}:Fault>"
            f"</detail></{p.env}:Fault>"
        )
        return self.envelope(body, message_id)
