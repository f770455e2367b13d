"""The CPE's answers to every RPC an ACS may send."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from xml.sax.saxutils import escape

from lxml import etree

from rjchronos_sdk.sim.cpe.cpe import SimulatedCpe, Transfer
from rjchronos_sdk.sim.cpe.diagnostics import request_diagnostics, touched_diagnostics
from rjchronos_sdk.sim.cpe.soap import AcsMessage, CwmpFault, Writer, child, items, text
from rjchronos_sdk.sim.cpe.transfers import start_transfer
from rjchronos_sdk.sim.cpe.values import check_value

METHODS = (
    "GetRPCMethods",
    "GetParameterNames",
    "GetParameterValues",
    "SetParameterValues",
    "GetParameterAttributes",
    "SetParameterAttributes",
    "AddObject",
    "DeleteObject",
    "Reboot",
    "FactoryReset",
    "Download",
    "ScheduleDownload",
    "Upload",
    "ScheduleInform",
    "CancelTransfer",
)
log = logging.getLogger(__name__)

_NEWER_THAN_1_0 = frozenset({"ScheduleDownload", "CancelTransfer"})
"""Methods the cwmp-1-0 schema does not have: a CPE speaking 1.0 does not offer them."""
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_INSTANCE = re.compile(r"\.\d+\.$")
_UNKNOWN_TIME = "0001-01-01T00:00:00Z"
_MAX_TRANSFERS = 16

Handler = Callable[[SimulatedCpe, etree._Element, Writer], str]


def answer(cpe: SimulatedCpe, message: AcsMessage, writer: Writer) -> bytes:
    """The envelope answering ``message``: the RPC's response or a CWMP fault."""
    cpe.stats.methods[message.method] += 1
    handler = _HANDLERS.get(message.method)
    if writer.namespace.endswith("1-0") and message.method in _NEWER_THAN_1_0:
        handler = None
    try:
        if handler is None:
            raise CwmpFault(9000, f"method {message.method} not supported")
        body = handler(cpe, message.element, writer)
    except CwmpFault as fault:
        cpe.stats.faults += 1
        cpe.fleet.counters["faults"] += 1
        return writer.fault(fault, message.id)
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        # Arguments a CPE cannot make sense of are the ACS's problem, never a crash.
        cpe.stats.faults += 1
        cpe.fleet.counters["faults"] += 1
        return writer.fault(CwmpFault(9003, f"invalid arguments: {exc}"), message.id)
    except Exception:
        log.exception("%s: %s failed", cpe.serial, message.method)
        cpe.stats.faults += 1
        cpe.fleet.counters["faults"] += 1
        return writer.fault(CwmpFault(9002), message.id)
    return writer.envelope(body, message.id)


def _int(element: etree._Element, name: str, default: str | None = None) -> int:
    raw = text(element, name, default)
    try:
        return int(raw)
    except ValueError:
        raise CwmpFault(9003, f"{name} is not an integer") from None


def _bool(element: etree._Element, name: str) -> bool:
    raw = text(element, name).lower()
    if raw not in ("0", "1", "true", "false"):
        raise CwmpFault(9003, f"{name} is not a boolean")
    return raw in ("1", "true")


def _params_under(cpe: SimulatedCpe, path: str) -> list[str]:
    """Parameters named by a full or partial path; 9005 when it names nothing."""
    if path == "":
        path = cpe.tree.schema.root
    if path.endswith("."):
        if path not in cpe.tree.objects:
            raise CwmpFault(9005, f"no object {path}")
        return [name for name in cpe.tree.params if name.startswith(path)]
    if path not in cpe.tree.params:
        raise CwmpFault(9005, f"no parameter {path}")
    return [path]


def get_rpc_methods(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    offered = [m for m in METHODS if not (w.namespace.endswith("1-0") and m in _NEWER_THAN_1_0)]
    entries = [f"<string>{name}</string>" for name in offered]
    return w.rpc("GetRPCMethodsResponse", w.array("MethodList", "xsd:string", entries))


def get_parameter_names(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    path = text(element, "ParameterPath", "")
    next_level = _bool(element, "NextLevel")
    tree = cpe.tree
    root = tree.schema.root
    found: list[tuple[str, bool]]
    if path == "" and next_level:
        found = [(root, False)]
    elif not path.endswith(".") and path:
        if path not in tree.params:
            raise CwmpFault(9005, f"no parameter {path}")
        if next_level:
            raise CwmpFault(9003, "NextLevel is true for a parameter name")
        found = [(path, tree.params[path].writable)]
    else:
        path = path or root
        if path not in tree.objects:
            raise CwmpFault(9005, f"no object {path}")
        depth = path.count(".")
        by_object: dict[str, list[str]] = {}
        for name in tree.params:
            if name.startswith(path):
                by_object.setdefault(name.rpartition(".")[0] + ".", []).append(name)
        found = []
        for obj, writable in tree.objects.items():
            if not obj.startswith(path):
                continue
            if next_level:
                if obj.count(".") == depth + 1:
                    found.append((obj, writable))
                continue
            found.append((obj, writable))
            found.extend((name, tree.params[name].writable) for name in by_object.get(obj, ()))
        if next_level:
            found.extend((name, tree.params[name].writable) for name in by_object.get(path, ()))
    entries = [
        f"<ParameterInfoStruct><Name>{escape(name)}</Name>"
        f"<Writable>{'1' if writable else '0'}</Writable></ParameterInfoStruct>"
        for name, writable in found
    ]
    return w.rpc(
        "GetParameterNamesResponse", w.array("ParameterList", "ParameterInfoStruct", entries)
    )


def get_parameter_values(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    if child(element, "ParameterNames") is None:
        raise CwmpFault(9003, "missing argument ParameterNames")
    names: list[str] = []
    for item in items(element, "ParameterNames"):
        names.extend(_params_under(cpe, (item.text or "").strip()))
    triples = [(name, cpe.value(name), cpe.tree.params[name].type) for name in names]
    return w.rpc("GetParameterValuesResponse", w.values("ParameterList", triples))


def set_parameter_values(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    if child(element, "ParameterList") is None:
        raise CwmpFault(9003, "missing argument ParameterList")
    key = text(element, "ParameterKey", "")
    updates: dict[str, str] = {}
    faults: list[tuple[str, int]] = []
    for entry in items(element, "ParameterList"):
        name = text(entry, "Name")
        value_element = child(entry, "Value")
        if value_element is None:
            raise CwmpFault(9003, f"no Value for {name}")
        if name in updates or any(name == failed for failed, _ in faults):
            raise CwmpFault(9003, f"{name} appears twice")
        definition = cpe.tree.params.get(name)
        if definition is None:
            faults.append((name, 9005))
            continue
        if not definition.writable:
            faults.append((name, 9008))
            continue
        sent = value_element.get(_XSI_TYPE)
        sent_type = sent.rpartition(":")[2] if sent else None
        try:
            updates[name] = check_value(definition, value_element.text or "", sent_type)
        except CwmpFault as fault:
            faults.append((name, fault.code))
    if faults:
        raise CwmpFault(9003, parameter_faults=faults)
    for name, value in updates.items():
        cpe.set_value(name, value)
    cpe.set_value(cpe.paths.management + "ParameterKey", key)
    touched_diagnostics(cpe, updates)
    for kind, obj in cpe.paths.diagnostics.items():
        if updates.get(obj + "DiagnosticsState") == "Requested":
            request_diagnostics(cpe, kind)
    return w.rpc("SetParameterValuesResponse", "<Status>0</Status>")


def get_parameter_attributes(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    if child(element, "ParameterNames") is None:
        raise CwmpFault(9003, "missing argument ParameterNames")
    entries = []
    for item in items(element, "ParameterNames"):
        for name in _params_under(cpe, (item.text or "").strip()):
            access = [f"<string>{escape(a)}</string>" for a in cpe.access_lists.get(name, [])]
            entries.append(
                f"<ParameterAttributeStruct><Name>{escape(name)}</Name>"
                f"<Notification>{cpe.notification(name)}</Notification>"
                f"{w.array('AccessList', 'xsd:string', access)}</ParameterAttributeStruct>"
            )
    return w.rpc(
        "GetParameterAttributesResponse",
        w.array("ParameterList", "ParameterAttributeStruct", entries),
    )


def set_parameter_attributes(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    if child(element, "ParameterList") is None:
        raise CwmpFault(9003, "missing argument ParameterList")
    changes: list[tuple[list[str], int | None, list[str] | None]] = []
    for entry in items(element, "ParameterList"):
        name = text(entry, "Name")
        names = _params_under(cpe, name)
        notification = None
        if _bool(entry, "NotificationChange"):
            notification = _int(entry, "Notification")
            if notification not in (0, 1, 2):
                raise CwmpFault(9003, f"Notification {notification} is not 0, 1 or 2")
            definition = cpe.tree.params.get(name)
            if (
                notification == 2
                and definition is not None
                and definition.active_notify == "canDeny"
                and cpe.is_drifting(name)
            ):
                raise CwmpFault(9009, f"active notification refused for {name}")
        access = None
        if _bool(entry, "AccessListChange"):
            access = [(item.text or "").strip() for item in items(entry, "AccessList")]
        changes.append((names, notification, access))
    for names, notification, access in changes:
        for name in names:
            if notification is not None and not (notification == 2 and cpe.is_drifting(name)):
                cpe.notifications[name] = notification
            if access is not None:
                cpe.access_lists[name] = access
    return w.rpc("SetParameterAttributesResponse", "")


def add_object(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    name = text(element, "ObjectName")
    if not name.endswith(".") or not cpe.tree.is_table(name) or not cpe.tree.objects[name]:
        raise CwmpFault(9005, f"{name} is not a table that accepts AddObject")
    number = cpe.tree.add_instance(name)
    cpe.set_value(cpe.paths.management + "ParameterKey", text(element, "ParameterKey", ""))
    return w.rpc(
        "AddObjectResponse", f"<InstanceNumber>{number}</InstanceNumber><Status>0</Status>"
    )


def delete_object(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    name = text(element, "ObjectName")
    if not _INSTANCE.search(name) or name not in cpe.tree.objects or not cpe.tree.objects[name]:
        raise CwmpFault(9005, f"{name} is not an instance that accepts DeleteObject")
    cpe.tree.delete_instance(name)
    cpe.set_value(cpe.paths.management + "ParameterKey", text(element, "ParameterKey", ""))
    return w.rpc("DeleteObjectResponse", "<Status>0</Status>")


def reboot(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    key = text(element, "CommandKey", "")
    cpe.after_session.append(lambda: cpe.reboot(command_key=key))
    return w.rpc("RebootResponse", "")


def factory_reset(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    cpe.after_session.append(cpe.factory_reset)
    return w.rpc("FactoryResetResponse", "")


def _transfer(cpe: SimulatedCpe, element: etree._Element, method: str, delay: int) -> Transfer:
    url = text(element, "URL")
    if not url.lower().startswith(("http://", "https://")):
        raise CwmpFault(9013, f"unsupported protocol in {url}")
    file_type = text(element, "FileType")
    allowed = ("1 ", "2 ", "3 ", "4 ") if method == "Upload" else ("1 ", "2 ", "3 ", "4 ", "5 ")
    if not file_type.startswith((*allowed, "X ")):
        raise CwmpFault(9003, f"unsupported FileType {file_type!r}")
    if delay < 0:
        raise CwmpFault(9003, "negative delay")
    if len(cpe.transfers) >= _MAX_TRANSFERS:
        raise CwmpFault(9004, "too many transfers queued")
    transfer = Transfer(
        method=method,
        command_key=text(element, "CommandKey", ""),
        file_type=file_type,
        url=url,
        username=text(element, "Username", ""),
        password=text(element, "Password", ""),
        file_size=_int(element, "FileSize", "0") if method != "Upload" else 0,
        target_file_name=text(element, "TargetFileName", ""),
        start_at=time.time() + delay,
    )
    cpe.transfers.append(transfer)
    cpe.after_session.append(lambda: start_transfer(cpe, transfer))
    return transfer


def download(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    _transfer(cpe, element, "Download", _int(element, "DelaySeconds", "0"))
    return w.rpc(
        "DownloadResponse",
        f"<Status>1</Status><StartTime>{_UNKNOWN_TIME}</StartTime>"
        f"<CompleteTime>{_UNKNOWN_TIME}</CompleteTime>",
    )


def schedule_download(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    windows = items(element, "TimeWindowList")
    if not windows:
        raise CwmpFault(9003, "TimeWindowList is empty")
    start = _int(windows[0], "WindowStart")
    end = _int(windows[0], "WindowEnd")
    if end < start:
        raise CwmpFault(9003, "WindowEnd before WindowStart")
    _transfer(cpe, element, "ScheduleDownload", start)
    return w.rpc("ScheduleDownloadResponse", "")


def upload(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    _transfer(cpe, element, "Upload", _int(element, "DelaySeconds", "0"))
    return w.rpc(
        "UploadResponse",
        f"<Status>1</Status><StartTime>{_UNKNOWN_TIME}</StartTime>"
        f"<CompleteTime>{_UNKNOWN_TIME}</CompleteTime>",
    )


def schedule_inform(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    delay = _int(element, "DelaySeconds")
    if delay <= 0:
        raise CwmpFault(9003, "DelaySeconds must be positive")
    key = text(element, "CommandKey", "")

    def scheduled() -> None:
        cpe.add_event("3 SCHEDULED")
        cpe.add_event("M ScheduleInform", key)

    cpe.fleet.wake(cpe, at=time.time() + delay, before=scheduled)
    return w.rpc("ScheduleInformResponse", "")


def cancel_transfer(cpe: SimulatedCpe, element: etree._Element, w: Writer) -> str:
    key = text(element, "CommandKey")
    for transfer in cpe.transfers:
        if transfer.command_key == key and not transfer.started:
            if transfer.task is not None:
                transfer.task.cancel()
            cpe.transfers.remove(transfer)
            return w.rpc("CancelTransferResponse", "")
    raise CwmpFault(9021, f"no transfer with CommandKey {key!r} can be canceled")


_HANDLERS: dict[str, Handler] = {
    "GetRPCMethods": get_rpc_methods,
    "GetParameterNames": get_parameter_names,
    "GetParameterValues": get_parameter_values,
    "SetParameterValues": set_parameter_values,
    "GetParameterAttributes": get_parameter_attributes,
    "SetParameterAttributes": set_parameter_attributes,
    "AddObject": add_object,
    "DeleteObject": delete_object,
    "Reboot": reboot,
    "FactoryReset": factory_reset,
    "Download": download,
    "ScheduleDownload": schedule_download,
    "Upload": upload,
    "ScheduleInform": schedule_inform,
    "CancelTransfer": cancel_transfer,
}
