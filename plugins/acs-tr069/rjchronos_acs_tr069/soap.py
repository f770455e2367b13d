"""The one place that builds SOAP envelopes for CPEs, in the CWMP namespace each CPE speaks.

CWMP 1.0 and 1.1 have namespaces of their own; 1.2, 1.3 and 1.4 share
``urn:dslforum-org:cwmp-1-2`` and agree on 1.4 through the
``SupportedCWMPVersions`` / ``UseCWMPVersion`` headers. Every builder here
writes elements in schema order with the ``soapenc:arrayType`` counts the
XSDs require; the tests validate each message against the Broadband Forum
XSD of its version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENC = "http://schemas.xmlsoap.org/soap/encoding/"
XSD = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CWMP_1_0 = "urn:dslforum-org:cwmp-1-0"
CWMP_1_1 = "urn:dslforum-org:cwmp-1-1"
CWMP_1_2 = "urn:dslforum-org:cwmp-1-2"
CWMP_NAMESPACES = (CWMP_1_0, CWMP_1_1, CWMP_1_2)
#: The newest CWMP version each namespace can carry.
NAMESPACE_VERSIONS = {CWMP_1_0: "1.0", CWMP_1_1: "1.1", CWMP_1_2: "1.4"}
#: Methods the ACS answers (``GetRPCMethodsResponse``).
ACS_METHODS = (
    "Inform",
    "GetRPCMethods",
    "TransferComplete",
    "AutonomousTransferComplete",
    "RequestDownload",
)
#: ACS-to-CPE methods that first appeared after CWMP 1.0, by the namespace they need.
_INTRODUCED = {
    "AutonomousTransferCompleteResponse": CWMP_1_1,
    "ScheduleDownload": CWMP_1_2,
    "CancelTransfer": CWMP_1_2,
}
CONTENT_TYPE = 'text/xml; charset="utf-8"'


class UnsupportedMethod(ValueError):
    """The method does not exist in the CWMP namespace the CPE speaks."""


@dataclass(frozen=True)
class AcsRequest:
    """One ACS-to-CPE RPC: the method name and its arguments (see :func:`request_body`)."""

    method: str
    args: Mapping[str, Any] = field(default_factory=dict)


def xsd_type(value: Any, declared: str | None = None) -> str:
    """The ``xsi:type`` of a parameter value: the stored type when known, else from Python."""
    if declared:
        return declared if ":" in declared else f"xsd:{declared}"
    if isinstance(value, bool):
        return "xsd:boolean"
    if isinstance(value, int):
        return "xsd:int" if value < 0 else "xsd:unsignedInt"
    return "xsd:string"


def value_text(value: Any) -> str:
    """A parameter value as CWMP writes it (booleans as ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


class _Writer:
    """Element helpers bound to one CWMP namespace."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace
        self.nsmap = {
            "soap-env": SOAP_ENV,
            "soap-enc": SOAP_ENC,
            "xsd": XSD,
            "xsi": XSI,
            "cwmp": namespace,
        }

    def method(self, name: str) -> etree._Element:
        required = _INTRODUCED.get(name)
        if required and CWMP_NAMESPACES.index(self.ns) < CWMP_NAMESPACES.index(required):
            raise UnsupportedMethod(
                f"{name} needs CWMP namespace {required}, the CPE speaks {self.ns}"
            )
        return etree.Element(f"{{{self.ns}}}{name}", nsmap=self.nsmap)

    @staticmethod
    def text(parent: etree._Element, name: str, value: Any) -> etree._Element:
        child = etree.SubElement(parent, name)
        child.text = value_text(value)
        return child

    @staticmethod
    def array(parent: etree._Element, name: str, item_type: str, count: int) -> etree._Element:
        child = etree.SubElement(parent, name)
        child.set(f"{{{SOAP_ENC}}}arrayType", f"{item_type}[{count}]")
        return child

    def strings(self, parent: etree._Element, name: str, values: Sequence[str]) -> None:
        array = self.array(parent, name, "xsd:string", len(values))
        for value in values:
            self.text(array, "string", value)


def request_body(namespace: str, request: AcsRequest) -> etree._Element:
    """The body element of an ACS-to-CPE RPC.

    Arguments by method: ``GetParameterNames(path, next_level)``,
    ``GetParameterValues(names)``, ``SetParameterValues(values, types,
    parameter_key)``, ``GetParameterAttributes(names)``,
    ``SetParameterAttributes(attributes: [{name, notification, access_list}])``,
    ``AddObject`` / ``DeleteObject(object, parameter_key)``, ``Reboot(command_key)``,
    ``Download`` / ``ScheduleDownload`` / ``Upload`` (``command_key``,
    ``file_type``, ``url``, ...), ``ScheduleInform(delay_seconds, command_key)``,
    ``CancelTransfer(command_key)``; ``GetRPCMethods`` and ``FactoryReset`` take none.

    :raises UnsupportedMethod: the method is unknown or absent from ``namespace``.
    """
    w = _Writer(namespace)
    a = request.args
    name = request.method
    builder = _REQUESTS.get(name)
    if builder is None:
        raise UnsupportedMethod(f"the ACS does not send {name}")
    element = w.method(name)
    builder(w, element, a)
    return element


def _get_parameter_names(w: _Writer, e: etree._Element, a: Mapping[str, Any]) -> None:
    w.text(e, "ParameterPath", a.get("path", ""))
    w.text(e, "NextLevel", bool(a.get("next_level", False)))


def _names(w: _Writer, e: etree._Element, a: Mapping[str, Any]) -> None:
    w.strings(e, "ParameterNames", list(a.get("names", ())))


def _set_parameter_values(w: _Writer, e: etree._Element, a: Mapping[str, Any]) -> None:
    values: Mapping[str, Any] = a["values"]
    types: Mapping[str, str] = a.get("types", {})
    array = w.array(e, "ParameterList", "cwmp:ParameterValueStruct", len(values))
    for path, value in values.items():
        item = etree.SubElement(array, "ParameterValueStruct")
        w.text(item, "Name", path)
        w.text(item, "Value", value).set(f"{{{XSI}}}type", xsd_type(value, types.get(path)))
    w.text(e, "ParameterKey", a.get("parameter_key", ""))


def _set_parameter_attributes(w: _Writer, e: etree._Element, a: Mapping[str, Any]) -> None:
    attributes: Sequence[Mapping[str, Any]] = a["attributes"]
    array = w.array(e, "ParameterList", "cwmp:SetParameterAttributesStruct", len(attributes))
    for attribute in attributes:
        item = etree.SubElement(array, "SetParameterAttributesStruct")
        w.text(item, "Name", attribute["name"])
        w.text(item, "NotificationChange", "notification" in attribute)
        w.text(item, "Notification", attribute.get("notification", 0))
        w.text(item, "AccessListChange", "access_list" in attribute)
        w.strings(item, "AccessList", list(attribute.get("access_list", ())))


def _object(w: _Writer, e: etree._Element, a: Mapping[str, Any]) -> None:
    w.text(e, "ObjectName", a["object"])
    w.text(e, "ParameterKey", a.get("parameter_key", ""))


def _command_key(w: _Writer, e: etree._Element, a: Mapping[str, Any]) -> None:
    w.text(e, "CommandKey", a.get("command_key", ""))


def _nothing(w: _Writer, e: etree._Element, a: Mapping[str, Any]) -> None:
    return None


def _transfer_start(w: _Writer, e: etree._Element, a: Mapping[str, Any]) -> None:
    w.text(e, "CommandKey", a.get("command_key", ""))
    w.text(e, "FileType", a["file_type"])
    w.text(e, "URL", a["url"])
    w.text(e, "Username", a.get("username", ""))
    w.text(e, "Password", a.get("password", ""))


def _download(w: _Writer, e: etree._Element, a: Mapping[str, Any]) -> None:
    _transfer_start(w, e, a)
    w.text(e, "FileSize", int(a.get("file_size", 0)))
    w.text(e, "TargetFileName", a.get("target_file_name", ""))
    w.text(e, "DelaySeconds", int(a.get("delay_seconds", 0)))
    w.text(e, "SuccessURL", a.get("success_url", ""))
    w.text(e, "FailureURL", a.get("failure_url", ""))


def _schedule_download(w: _Writer, e: etree._Element, a: Mapping[str, Any]) -> None:
    _transfer_start(w, e, a)
    w.text(e, "FileSize", int(a.get("file_size", 0)))
    w.text(e, "TargetFileName", a.get("target_file_name", ""))
    windows: Sequence[Mapping[str, Any]] = a["time_windows"]
    array = w.array(e, "TimeWindowList", "cwmp:TimeWindowStruct", len(windows))
    for window in windows:
        item = etree.SubElement(array, "TimeWindowStruct")
        w.text(item, "WindowStart", int(window["start"]))
        w.text(item, "WindowEnd", int(window["end"]))
        w.text(item, "WindowMode", window.get("mode", "1 At Any Time"))
        w.text(item, "UserMessage", window.get("user_message", ""))
        w.text(item, "MaxRetries", int(window.get("max_retries", -1)))


def _upload(w: _Writer, e: etree._Element, a: Mapping[str, Any]) -> None:
    _transfer_start(w, e, a)
    w.text(e, "DelaySeconds", int(a.get("delay_seconds", 0)))


def _schedule_inform(w: _Writer, e: etree._Element, a: Mapping[str, Any]) -> None:
    w.text(e, "DelaySeconds", int(a["delay_seconds"]))
    w.text(e, "CommandKey", a.get("command_key", ""))


_REQUESTS = {
    "GetRPCMethods": _nothing,
    "GetParameterNames": _get_parameter_names,
    "GetParameterValues": _names,
    "SetParameterValues": _set_parameter_values,
    "GetParameterAttributes": _names,
    "SetParameterAttributes": _set_parameter_attributes,
    "AddObject": _object,
    "DeleteObject": _object,
    "Reboot": _command_key,
    "FactoryReset": _nothing,
    "Download": _download,
    "ScheduleDownload": _schedule_download,
    "Upload": _upload,
    "ScheduleInform": _schedule_inform,
    "CancelTransfer": _command_key,
}


# -- answers to the CPE's requests ----------------------------------------------


def inform_response(namespace: str, max_envelopes: int = 1) -> etree._Element:
    """``InformResponse``: the ACS accepts one envelope per HTTP message."""
    w = _Writer(namespace)
    element = w.method("InformResponse")
    w.text(element, "MaxEnvelopes", max_envelopes)
    return element


#: A ``cwmp:ID`` that a template may carry as is (no character lxml would escape or refuse).
_PLAIN_ID = re.compile(r"[A-Za-z0-9 !#$%()*+,./:;=?@\[\]^_{|}~-]{0,256}")
_MARK = "rjc-cwmp-id-mark"


@lru_cache(maxsize=64)
def _inform_response_template(
    namespace: str, max_envelopes: int, use_version: str | None
) -> tuple[bytes, bytes]:
    rendered = envelope(
        namespace,
        inform_response(namespace, max_envelopes),
        cwmp_id=_MARK,
        use_version=use_version,
    )
    before, mark, after = rendered.partition(_MARK.encode())
    assert mark, "the InformResponse template lost its cwmp:ID"
    return before, after


def inform_response_envelope(
    namespace: str, max_envelopes: int = 1, *, cwmp_id: str | None, use_version: str | None
) -> bytes:
    """The whole InformResponse envelope, as :func:`envelope` writes it, from a template.

    Every periodic session sends one: the envelope is rendered once per
    namespace, MaxEnvelopes and version, and the ``cwmp:ID`` put in place.
    An ID the template cannot carry as is goes through :func:`envelope`.
    """
    if cwmp_id is None or not _PLAIN_ID.fullmatch(cwmp_id):
        body = inform_response(namespace, max_envelopes)
        return envelope(namespace, body, cwmp_id=cwmp_id, use_version=use_version)
    before, after = _inform_response_template(namespace, max_envelopes, use_version)
    return before + cwmp_id.encode() + after


def empty_response(namespace: str, method: str) -> etree._Element:
    """An answer without arguments (``TransferCompleteResponse`` and the like)."""
    return _Writer(namespace).method(method)


def get_rpc_methods_response(
    namespace: str, methods: Iterable[str] = ACS_METHODS
) -> etree._Element:
    """The methods the ACS answers."""
    w = _Writer(namespace)
    element = w.method("GetRPCMethodsResponse")
    w.strings(element, "MethodList", list(methods))
    return element


def fault(namespace: str, code: int, message: str) -> etree._Element:
    """A SOAP Fault carrying a CWMP fault (8000-8005 from the ACS)."""
    w = _Writer(namespace)
    element = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap=w.nsmap)
    etree.SubElement(element, "faultcode").text = "Client" if code in (8003, 8005) else "Server"
    etree.SubElement(element, "faultstring").text = "CWMP fault"
    detail = etree.SubElement(element, "detail")
    cwmp_fault = etree.SubElement(detail, f"{{{namespace}}}Fault")
    w.text(cwmp_fault, "FaultCode", code)
    w.text(cwmp_fault, "FaultString", message)
    return element


# -- the envelope -----------------------------------------------------------------


def envelope(
    namespace: str,
    body: etree._Element,
    *,
    cwmp_id: str | None = None,
    hold_requests: bool | None = None,
    use_version: str | None = None,
) -> bytes:
    """Wrap ``body`` in a SOAP envelope with the CWMP headers the session needs.

    :param cwmp_id: echoed as ``cwmp:ID`` (a request's, or a fresh one for an ACS request).
    :param hold_requests: ``True`` tells the CPE to send no requests of its
        own until the ACS sends an envelope without it.
    :param use_version: the CWMP version agreed with a 1.4 CPE
        (``UseCWMPVersion``), only in the ``cwmp-1-2`` namespace.
    """
    w = _Writer(namespace)
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap=w.nsmap)
    header = etree.SubElement(root, f"{{{SOAP_ENV}}}Header")
    must = f"{{{SOAP_ENV}}}mustUnderstand"
    if cwmp_id is not None:
        etree.SubElement(header, f"{{{namespace}}}ID", {must: "1"}).text = cwmp_id
    if hold_requests is not None:
        held = etree.SubElement(header, f"{{{namespace}}}HoldRequests", {must: "1"})
        held.text = "true" if hold_requests else "false"
    if use_version is not None and namespace == CWMP_1_2:
        etree.SubElement(header, f"{{{namespace}}}UseCWMPVersion", {must: "1"}).text = use_version
    if not len(header):
        root.remove(header)
    etree.SubElement(root, f"{{{SOAP_ENV}}}Body").append(body)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def agree_version(supported: str | None, namespace: str) -> str | None:
    """The ``UseCWMPVersion`` for a CPE's ``SupportedCWMPVersions`` (``None`` when not 1.4-style).

    The highest version both sides speak, never above what the namespace carries.
    """
    if not supported or namespace != CWMP_1_2:
        return None
    ours = {"1.2", "1.3", "1.4"}
    offered = {v.strip() for v in supported.split(",") if v.strip()} & ours
    if not offered:
        return None
    return max(offered, key=lambda v: tuple(int(p) for p in v.split(".")))
