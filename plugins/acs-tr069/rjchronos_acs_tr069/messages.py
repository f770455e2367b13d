"""Reading what CPEs send, tolerantly.

Real CPEs get details wrong, so elements are found by local name whatever
their namespace or prefix (or lack of one), children in any order,
``arrayType`` counts are ignored in favour of the elements present, event
codes are matched without regard to case, and the SOAPAction header is not
needed. What cannot be read raises :class:`MalformedMessage`, which the
server answers with CWMP fault 8003.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from rjchronos_acs_tr069.soap import CWMP_NAMESPACES, XSI

#: Event codes of TR-069, by upper-case spelling.
KNOWN_EVENTS = {
    code.upper(): code
    for code in (
        "0 BOOTSTRAP",
        "1 BOOT",
        "2 PERIODIC",
        "3 SCHEDULED",
        "4 VALUE CHANGE",
        "5 KICKED",
        "6 CONNECTION REQUEST",
        "7 TRANSFER COMPLETE",
        "8 DIAGNOSTICS COMPLETE",
        "9 REQUEST DOWNLOAD",
        "10 AUTONOMOUS TRANSFER COMPLETE",
        "11 DU STATE CHANGE COMPLETE",
        "12 AUTONOMOUS DU STATE CHANGE COMPLETE",
        "13 WAKEUP",
        "14 HEARTBEAT",
        "M Reboot",
        "M ScheduleInform",
        "M Download",
        "M ScheduleDownload",
        "M Upload",
        "M ChangeDUState",
        "M CancelTransfer",
    )
}


_XSI_TYPE = f"{{{XSI}}}type"


class MalformedMessage(ValueError):
    """A CPE message that lacks what the ACS needs to act on it."""


def local(element: etree._Element) -> str:
    """The local name of an element, whatever its namespace."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def elements(parent: etree._Element | None) -> Iterator[etree._Element]:
    """Child elements (comments and processing instructions skipped)."""
    if parent is None:
        return iter(())
    return (child for child in parent if isinstance(child.tag, str))


def child(parent: etree._Element | None, name: str) -> etree._Element | None:
    """The first child called ``name`` (any namespace, any case)."""
    if parent is None:
        return None
    wanted = name.lower()
    for found in parent:
        tag = found.tag
        if isinstance(tag, str) and tag.rpartition("}")[2].lower() == wanted:
            return found
    return None


def text(parent: etree._Element | None, name: str, default: str = "") -> str:
    found = child(parent, name)
    return (found.text or "").strip() if found is not None else default


def _int(value: str, default: int = 0) -> int:
    try:
        return int(value)
    except ValueError:
        return default


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true")


@dataclass
class Envelope:
    """A CPE's SOAP message: its method element and CWMP headers."""

    method: str
    body: etree._Element
    namespace: str | None
    cwmp_id: str | None = None
    supported_versions: str | None = None
    use_version: str | None = None


def read_envelope(root: etree._Element) -> Envelope:
    """The method and headers of a CPE's SOAP envelope."""
    if local(root) != "Envelope":
        raise MalformedMessage(f"expected a SOAP Envelope, got <{local(root)}>")
    body = child(root, "Body")
    method = next(elements(body), None)
    if method is None:
        raise MalformedMessage("the SOAP Body holds no element")
    header = child(root, "Header")
    namespaces = [etree.QName(e).namespace for e in (method, *elements(header))]
    namespace = next((ns for ns in namespaces if ns in CWMP_NAMESPACES), None)
    id_element = child(header, "ID")
    return Envelope(
        method=local(method),
        body=method,
        namespace=namespace,
        cwmp_id=(id_element.text or "").strip() if id_element is not None else None,
        supported_versions=text(header, "SupportedCWMPVersions") or None,
        use_version=text(header, "UseCWMPVersion") or None,
    )


# -- Inform ------------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterValue:
    name: str
    value: str
    type: str = "string"


@dataclass
class Inform:
    """A CPE's Inform: who it is, why it came, and the parameters it reports."""

    manufacturer: str
    oui: str
    product_class: str
    serial_number: str
    events: list[tuple[str, str]] = field(default_factory=list)
    max_envelopes: int = 1
    current_time: str = ""
    retry_count: int = 0
    parameters: list[ParameterValue] = field(default_factory=list)

    @property
    def identity(self) -> str:
        """``OUI-ProductClass-SerialNumber``, the CWMP identity of the device."""
        return "-".join(p for p in (self.oui, self.product_class, self.serial_number) if p)

    @property
    def event_codes(self) -> list[str]:
        return [code for code, _ in self.events]

    def parameter(self, *names: str) -> str | None:
        """The first reported value among ``names`` (paths, or suffixes after the root)."""
        for name in names:
            for parameter in self.parameters:
                if parameter.name == name or parameter.name.split(".", 1)[-1] == name:
                    return parameter.value
        return None


def normalise_event(code: str) -> str:
    """An event code in its standard spelling (``1 boot`` -> ``1 BOOT``); unknown codes trimmed."""
    squeezed = " ".join(code.split())
    return KNOWN_EVENTS.get(squeezed.upper(), squeezed)


def parameter_values(parent: etree._Element | None) -> list[ParameterValue]:
    """``ParameterValueStruct`` entries of a list, whatever its arrayType says."""
    found = []
    for item in elements(parent):
        # One pass over the entry's children: the first Name and the first Value count.
        name_element = value_element = None
        for part in item:
            tag = part.tag
            if not isinstance(tag, str):
                continue
            part_name = tag.rpartition("}")[2].lower()
            if part_name == "name" and name_element is None:
                name_element = part
            elif part_name == "value" and value_element is None:
                value_element = part
        name = (name_element.text or "").strip() if name_element is not None else ""
        if not name:
            continue
        kind = "string"
        value = ""
        if value_element is not None:
            value = value_element.text or ""
            declared = value_element.get(_XSI_TYPE)
            if declared is None:
                # A type attribute in another namespace (or an odd XSI URI).
                attributes = value_element.attrib
                declared = next((v for k, v in attributes.items() if k.endswith("}type")), "")
            kind = declared.rsplit(":", 1)[-1] or "string"
        found.append(ParameterValue(name, value, kind))
    return found


def read_inform(body: etree._Element) -> Inform:
    """The parts of an Inform the ACS uses.

    :raises MalformedMessage: no DeviceId, or no OUI or SerialNumber in it.
    """
    device = child(body, "DeviceId")
    if device is None:
        raise MalformedMessage("Inform without DeviceId")
    oui, serial = text(device, "OUI"), text(device, "SerialNumber")
    if not oui or not serial:
        missing = "OUI" if not oui else "SerialNumber"
        raise MalformedMessage(f"Inform DeviceId without {missing}")
    events = [
        (normalise_event(text(item, "EventCode")), text(item, "CommandKey"))
        for item in elements(child(body, "Event"))
        if text(item, "EventCode")
    ]
    return Inform(
        manufacturer=text(device, "Manufacturer"),
        oui=oui,
        product_class=text(device, "ProductClass"),
        serial_number=serial,
        events=events,
        max_envelopes=_int(text(body, "MaxEnvelopes", "1"), 1),
        current_time=text(body, "CurrentTime"),
        retry_count=_int(text(body, "RetryCount", "0")),
        parameters=parameter_values(child(body, "ParameterList")),
    )


# -- answers to the ACS's requests and the CPE's own requests ----------------------


@dataclass(frozen=True)
class CpeFault:
    """A fault the CPE returned: its code, its text and, for SetParameterValues, each path's."""

    code: int
    message: str
    parameters: tuple[tuple[str, int, str], ...] = ()


def read_fault(body: etree._Element) -> CpeFault:
    """The CWMP fault in a SOAP Fault's detail (or the SOAP faultstring when there is none)."""
    detail = child(child(body, "detail"), "Fault")
    if detail is None:
        return CpeFault(0, text(body, "faultstring") or "SOAP fault without CWMP detail")
    parameters = tuple(
        (text(item, "ParameterName"), _int(text(item, "FaultCode")), text(item, "FaultString"))
        for item in elements(detail)
        if local(item) == "SetParameterValuesFault"
    )
    return CpeFault(_int(text(detail, "FaultCode")), text(detail, "FaultString"), parameters)


def parameter_names(body: etree._Element) -> list[tuple[str, bool]]:
    """``GetParameterNamesResponse``: (path, writable) pairs."""
    return [
        (text(item, "Name"), _bool(text(item, "Writable")))
        for item in elements(child(body, "ParameterList"))
        if text(item, "Name")
    ]


def parameter_attributes(body: etree._Element) -> list[dict[str, object]]:
    """``GetParameterAttributesResponse``: name, notification and access list of each path."""
    return [
        {
            "name": text(item, "Name"),
            "notification": _int(text(item, "Notification")),
            "access_list": [(s.text or "").strip() for s in elements(child(item, "AccessList"))],
        }
        for item in elements(child(body, "ParameterList"))
        if text(item, "Name")
    ]


def simple_fields(body: etree._Element) -> dict[str, str]:
    """The text of every leaf child (Status, InstanceNumber, StartTime, ...)."""
    return {local(c): (c.text or "").strip() for c in elements(body) if not len(c)}


def transfer_complete(body: etree._Element) -> dict[str, object]:
    """``TransferComplete`` / ``AutonomousTransferComplete``: command key, fault, times."""
    fault_struct = child(body, "FaultStruct")
    return {
        **simple_fields(body),
        "fault_code": _int(text(fault_struct, "FaultCode")),
        "fault_string": text(fault_struct, "FaultString"),
    }
