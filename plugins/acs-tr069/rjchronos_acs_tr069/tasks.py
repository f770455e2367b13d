"""The per-device task queue: what the API asks for, turned into RPCs at the CPE's next session."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import Session

from rjchronos.db.types import utcnow
from rjchronos.inventory import service
from rjchronos.security.audit import MASK
from rjchronos.telemetry.store import Sample
from rjchronos_acs_tr069 import (
    PLUGIN,
    devices,
    diagnostics,
    faults,
    firmware,
    latency_samples,
    messages,
    soap,
    telemetry,
)
from rjchronos_acs_tr069.models import CpeTask, task_rows
from rjchronos_acs_tr069.sessions import CwmpSession, work_queued
from rjchronos_acs_tr069.soap import AcsRequest, value_text, xsd_type

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

DEFAULT_RETRY_BASE = 30.0
DEFAULT_RETRY_MAX = 3600.0
DEFAULT_MAX_ATTEMPTS = 5
_PATH = {"type": "string", "minLength": 1, "maxLength": 256}
_OBJECT = {"type": "string", "minLength": 2, "maxLength": 256, "pattern": r"\.$"}
_PATHS = {"type": "array", "items": _PATH, "minItems": 1}
_URL = {"type": "string", "maxLength": 1024, "pattern": r"^[hH][tT][tT][pP][sS]?://[^\s]+$"}
_SHORT = {"type": "string", "maxLength": 256}
_DELAY = {"type": "integer", "minimum": 0, "maximum": 86400}
_TRANSFER = {"url": _URL, "username": _SHORT, "password": _SHORT, "delay_seconds": _DELAY}
#: Transfer tasks wait for the CPE's TransferComplete, matched by CommandKey (the task id).
TRANSFER_TYPES = ("download", "upload")
#: Parameters whose values the ACS does not keep in its store or its task results.
_SECRET_LEAF = re.compile(r"password|passphrase|presharedkey|secret", re.IGNORECASE)


def _task(name: str, properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    # if/then rather than oneOf: a failing branch names its own field (body.paths).
    return {
        "if": {"properties": {"type": {"const": name}}},
        "then": {
            "properties": {"type": {"const": name}, **properties},
            "required": ["type", *required],
            "additionalProperties": False,
        },
    }


TASK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {
            "enum": [
                "get_parameter_values",
                "set_parameter_values",
                "refresh",
                "reboot",
                "factory_reset",
                "add_object",
                "delete_object",
                "get_parameter_attributes",
                "set_parameter_attributes",
                "download",
                "upload",
                "schedule_inform",
                "cancel_transfer",
            ]
        }
    },
    "allOf": [
        _task("get_parameter_values", {"paths": _PATHS}, ("paths",)),
        _task(
            "set_parameter_values",
            {
                "values": {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"maxLength": 256, "pattern": r"^[^.].*[^.]$"},
                    "additionalProperties": {"type": ["string", "integer", "boolean"]},
                }
            },
            ("values",),
        ),
        _task("refresh", {"path": {"type": "string", "maxLength": 256}}, ("path",)),
        _task("reboot", {}),
        _task("factory_reset", {}),
        _task("add_object", {"object": _OBJECT}, ("object",)),
        _task("delete_object", {"object": _OBJECT}, ("object",)),
        _task("get_parameter_attributes", {"paths": _PATHS}, ("paths",)),
        _task(
            "set_parameter_attributes",
            {
                "attributes": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 256,
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {
                            "name": _PATH,
                            "notification": {"type": "integer", "enum": [0, 1, 2]},
                            "access_list": {
                                "type": "array",
                                "items": {"enum": ["Subscriber"]},
                                "maxItems": 1,
                            },
                        },
                    },
                }
            },
            ("attributes",),
        ),
        _task(
            "download",
            {
                **_TRANSFER,
                "file_type": {"type": "string", "minLength": 3, "maxLength": 64},
                "file_size": {"type": "integer", "minimum": 0},
                "target_file_name": _SHORT,
                "file": {"type": "string", "minLength": 1, "maxLength": 26},
            },
        ),
        {
            # A download names a URL with its file type, or an image of the firmware store.
            "if": {"properties": {"type": {"const": "download"}}, "required": ["file"]},
            "then": {"not": {"anyOf": [{"required": ["url"]}, {"required": ["file_type"]}]}},
            "else": {
                "if": {"properties": {"type": {"const": "download"}}},
                "then": {"required": ["url", "file_type"]},
            },
        },
        _task(
            "upload",
            {**_TRANSFER, "file_type": {"type": "string", "minLength": 3, "maxLength": 64}},
            ("url", "file_type"),
        ),
        _task(
            "schedule_inform",
            {"delay_seconds": {"type": "integer", "minimum": 1, "maximum": 31536000}},
            ("delay_seconds",),
        ),
        _task(
            "cancel_transfer",
            {"task": {"type": "string", "minLength": 1, "maxLength": 26}},
            ("task",),
        ),
    ],
}


def create_task(
    kernel: Kernel, device_id: str, body: dict[str, Any], *, actor: str, ttl: float
) -> CpeTask:
    """Queue a task for the device's next session (a transfer password sealed at rest)."""
    params = {k: v for k, v in body.items() if k != "type"}
    if params.get("password"):
        params["password_encrypted"] = kernel.secrets.encrypt(params.pop("password"))
    params.pop("password", None)
    if body["type"] == "set_parameter_values":
        params["values"], sealed = _seal(kernel, params["values"])
        if sealed:
            params["sealed"] = sealed
    task = CpeTask(
        device_id=device_id,
        type=body["type"],
        params=params,
        created_by=actor,
        expires_at=utcnow() + timedelta(seconds=ttl),
    )
    with kernel.db.session() as session:
        session.add(task)
    work_queued()
    return task


def _seal(kernel: Kernel, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Split values into those kept as posted and secrets sealed with ``kernel.secrets``."""
    plain = {p: v for p, v in values.items() if not is_secret(p)}
    sealed = {p: kernel.secrets.encrypt(value_text(v)) for p, v in values.items() if is_secret(p)}
    return plain, sealed


def is_secret(path: str) -> bool:
    """Whether a parameter holds a secret (its value is never stored nor shown)."""
    return bool(_SECRET_LEAF.search(path.rpartition(".")[2]))


def _values(kernel: Kernel, task: CpeTask) -> dict[str, Any]:
    """What a ``set_parameter_values`` task writes, secrets unsealed."""
    sealed = task.params.get("sealed") or {}
    return {**task.params["values"], **{p: kernel.secrets.decrypt(v) for p, v in sealed.items()}}


def transfer_task(kernel: Kernel, device_id: str, task_id: str) -> CpeTask | None:
    """The device's download or upload task ``task_id`` (what ``cancel_transfer`` names)."""
    with kernel.db.session() as session:
        task = session.get(CpeTask, task_id)
        if task is None or task.device_id != device_id or task.type not in TRANSFER_TYPES:
            return None
        session.expunge(task)
        return task


def render(task: CpeTask) -> dict[str, Any]:
    """A task as the API shows it."""
    return {
        "id": task.id,
        "device_id": task.device_id,
        "type": task.type,
        "params": _shown(task.params),
        "status": task.status,
        "fault": task.fault,
        "result": task.result,
        "created_by": task.created_by,
        "created_at": task.created_at.isoformat(),
        "updated_at": task.updated_at.isoformat(),
        "expires_at": task.expires_at.isoformat(),
    }


def _shown(params: dict[str, Any]) -> dict[str, Any]:
    """Task parameters as the API shows them: sealed secrets as their paths only."""
    shown = {k: v for k, v in params.items() if k not in ("password_encrypted", "sealed")}
    if params.get("sealed"):
        shown["values"] = {**shown.get("values", {}), **dict.fromkeys(params["sealed"], MASK)}
    return shown


def _awaiting_transfer(task: CpeTask) -> bool:
    """A download or upload the CPE accepted and has yet to report (TransferComplete)."""
    return task.type in TRANSFER_TYPES and (task.result or {}).get("transfer") == "started"


def _awaiting_diagnostics(task: CpeTask) -> bool:
    """A diagnostic the CPE was asked to run, waiting for its ``8 DIAGNOSTICS COMPLETE``."""
    return task.type == "diagnostics" and (task.result or {}).get("diagnostics") == "requested"


def _waiting(task: CpeTask) -> bool:
    """A task the CPE accepted that finishes in a later session."""
    return _awaiting_transfer(task) or _awaiting_diagnostics(task)


def _retry_at(task: CpeTask) -> datetime | None:
    when = (task.result or {}).get("retry_at")
    return datetime.fromisoformat(when) if when else None


def requeue_interrupted(kernel: Kernel, device_id: str, session: Session | None = None) -> None:
    """Tasks left running by a session that died go back to the queue, with backoff.

    A task interrupted once runs again at the next session; the n-th
    interruption after that delays it ``task_retry_base_seconds * 2**(n-2)``
    (at most ``task_retry_max_seconds``); at ``task_max_attempts`` it becomes
    a fault. Accepted transfers keep waiting for their
    TransferComplete until the task expires. With ``session`` the work
    joins that transaction.
    """
    settings = kernel.plugin_settings(PLUGIN)
    base = float(settings.get("task_retry_base_seconds", DEFAULT_RETRY_BASE))
    cap = float(settings.get("task_retry_max_seconds", DEFAULT_RETRY_MAX))
    most = int(settings.get("task_max_attempts", DEFAULT_MAX_ATTEMPTS))
    now = utcnow()
    unit = contextlib.nullcontext(session) if session is not None else kernel.db.session()
    with unit as session:
        running = (
            session.execute(
                select(CpeTask).where(
                    task_rows.c.device_id == device_id, task_rows.c.status == "running"
                )
            )
            .scalars()
            .all()
        )
        for task in running:
            if _waiting(task):
                if task.expires_at <= now:
                    _finish(task, "expired")
                continue
            attempts = int((task.result or {}).get("attempts", 0)) + 1
            if attempts >= most:
                task.fault = {
                    "code": None,
                    "message": f"the CPE's session ended {attempts} times before the task finished",
                    "meaning": "Session failure",
                    "parameters": [],
                }
                _finish(task, "fault", {"attempts": attempts})
                continue
            # The first retry is at the next session; later ones back off.
            delay = min(cap, base * 2 ** (attempts - 2)) if attempts > 1 else 0.0
            retry_at = (now + timedelta(seconds=delay)).isoformat()
            _finish(task, "pending", {"attempts": attempts, "retry_at": retry_at})


def next_request(kernel: Kernel, cwmp: CwmpSession) -> AcsRequest | None:
    """The next RPC to send in this session (claiming the next pending task), or ``None``."""
    with kernel.db.session() as session:
        if cwmp.task_id is not None:
            task = session.get(CpeTask, cwmp.task_id)
            if task is not None and task.status == "running":
                request = _checked(kernel, session, task, cwmp)
                if request is not None:
                    return request
                if not _waiting(task) and task.status == "running":
                    _finish(task, "done")
        cwmp.task_id, cwmp.step, cwmp.state = None, "", {}
        if cwmp.diagnostics_complete:
            cwmp.diagnostics_complete = False
            request = _collect_diagnostics(session, cwmp)
            if request is not None:
                return request
        now = utcnow()
        queued = (
            session.execute(
                select(CpeTask)
                .where(task_rows.c.device_id == cwmp.device_id, task_rows.c.status == "pending")
                .order_by(task_rows.c.id)
            )
            .scalars()
            .all()
        )
        for task in queued:
            if task.expires_at <= now:
                _finish(task, "expired")
                continue
            retry_at = _retry_at(task)
            if retry_at is not None and retry_at > now:
                continue
            task.status, task.updated_at = "running", now
            cwmp.task_id = task.id
            request = _checked(kernel, session, task, cwmp)
            if request is not None:
                session.flush()
                return request
            if task.status == "running":
                _finish(task, "done")
            cwmp.task_id, cwmp.step, cwmp.state = None, "", {}
        return None


def _collect_diagnostics(session: Session, cwmp: CwmpSession) -> AcsRequest | None:
    """After ``8 DIAGNOSTICS COMPLETE``: read back the object of the oldest waiting diagnostic."""
    running = session.execute(
        select(CpeTask)
        .where(
            task_rows.c.device_id == cwmp.device_id,
            task_rows.c.status == "running",
            task_rows.c.type == "diagnostics",
        )
        .order_by(task_rows.c.id)
    ).scalars()
    task = next((t for t in running if _awaiting_diagnostics(t)), None)
    if task is None:
        return None
    cwmp.task_id, cwmp.step = task.id, "collect"
    return AcsRequest("GetParameterValues", {"names": [task.params["object"]]})


def _checked(
    kernel: Kernel, session: Session, task: CpeTask, cwmp: CwmpSession
) -> AcsRequest | None:
    """The task's next RPC, or a fault on the task when the CPE's CWMP version lacks it."""
    try:
        request = _request(kernel, session, task, cwmp)
    except LookupError as exc:  # a stored image deleted since the task was queued
        task.fault = {
            "code": None,
            "message": str(exc),
            "meaning": "No such file",
            "parameters": [],
        }
        _finish(task, "fault")
        return None
    if request is None:
        return None
    try:
        soap.request_body(cwmp.namespace, request)
    except soap.UnsupportedMethod as exc:
        task.fault = {
            "code": 9000,
            "message": str(exc),
            "meaning": faults.meaning(9000),
            "parameters": [],
        }
        _finish(task, "fault")
        return None
    return request


def _transfer_args(kernel: Kernel, task: CpeTask) -> dict[str, Any]:
    p = task.params
    password = p.get("password_encrypted")
    return {
        "command_key": task.id,
        "file_type": p["file_type"],
        "url": p["url"],
        "username": p.get("username", ""),
        "password": kernel.secrets.decrypt(password) if password else "",
        "file_size": p.get("file_size", 0),
        "target_file_name": p.get("target_file_name", ""),
        "delay_seconds": p.get("delay_seconds", 0),
    }


def _request(
    kernel: Kernel, session: Session, task: CpeTask, cwmp: CwmpSession
) -> AcsRequest | None:
    """The task's RPC for its current step; ``None`` when it has nothing more to send."""
    p = task.params
    if cwmp.step in ("sent", "collect"):
        return None
    if task.type == "refresh":
        if cwmp.step == "":
            cwmp.step = "names"
            return AcsRequest("GetParameterNames", {"path": p["path"], "next_level": False})
        if cwmp.step == "names":
            leaves = cwmp.state.get("leaves", [])
            cwmp.step = "sent"
            return AcsRequest("GetParameterValues", {"names": leaves}) if leaves else None
        return None
    cwmp.step = "sent"
    if task.type == "diagnostics":
        types = devices.stored_types(session, task.device_id, p["values"])
        return AcsRequest(
            "SetParameterValues", {"values": p["values"], "types": types, "parameter_key": task.id}
        )
    if task.type == "get_parameter_values":
        return AcsRequest("GetParameterValues", {"names": p["paths"]})
    if task.type == "set_parameter_values":
        values = _values(kernel, task)
        types = devices.stored_types(session, task.device_id, values)
        return AcsRequest(
            "SetParameterValues", {"values": values, "types": types, "parameter_key": task.id}
        )
    if task.type == "get_parameter_attributes":
        return AcsRequest("GetParameterAttributes", {"names": p["paths"]})
    if task.type == "set_parameter_attributes":
        return AcsRequest("SetParameterAttributes", {"attributes": p["attributes"]})
    if task.type == "reboot":
        return AcsRequest("Reboot", {"command_key": task.id})
    if task.type == "factory_reset":
        return AcsRequest("FactoryReset")
    if task.type == "add_object":
        return AcsRequest("AddObject", {"object": p["object"], "parameter_key": task.id})
    if task.type == "delete_object":
        return AcsRequest("DeleteObject", {"object": p["object"], "parameter_key": task.id})
    if task.type == "download" and "file" in p:
        args = firmware.download_args(kernel, session, p, task.device_id, task.id, cwmp.acs_url)
        return AcsRequest("Download", args)
    if task.type == "download":
        return AcsRequest("Download", _transfer_args(kernel, task))
    if task.type == "upload":
        return AcsRequest("Upload", _transfer_args(kernel, task))
    if task.type == "schedule_inform":
        return AcsRequest(
            "ScheduleInform", {"delay_seconds": p["delay_seconds"], "command_key": task.id}
        )
    if task.type == "cancel_transfer":
        return AcsRequest("CancelTransfer", {"command_key": p["task"]})
    raise ValueError(f"task {task.id} has an unknown type {task.type!r}")


def _finish(task: CpeTask, status: str, result: dict[str, Any] | None = None) -> None:
    task.status, task.updated_at = status, utcnow()
    if result is not None:
        task.result = {**(task.result or {}), **result}


def _fault_record(code: int, message: str, parameters: Any = ()) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "meaning": faults.meaning(code),
        "parameters": [
            {"path": path, "code": c, "message": text, "meaning": faults.meaning(c)}
            for path, c, text in parameters
        ],
    }


def handle_answer(kernel: Kernel, cwmp: CwmpSession, envelope: messages.Envelope) -> None:
    """Apply the CPE's answer (a response or a Fault) to the task that asked for it."""
    if cwmp.task_id is None:
        return
    batch = _apply_answer(kernel, cwmp, envelope)
    if batch:
        # After the task's transaction: on SQLite it holds the only write lock.
        telemetry.write(kernel, batch)


def _apply_answer(kernel: Kernel, cwmp: CwmpSession, envelope: messages.Envelope) -> list[Sample]:
    """Apply the answer to its task; the telemetry samples it yields (a latency sample's)."""
    with kernel.db.session() as session:
        task = session.get(CpeTask, cwmp.task_id)
        if task is None or task.status != "running":
            return []
        body = envelope.body
        if envelope.method == "Fault":
            fault = messages.read_fault(body)
            task.fault = _fault_record(fault.code, fault.message, fault.parameters)
            _finish(task, "fault")
            cwmp.step = "sent"
            return []
        device_id = task.device_id
        if envelope.method == "GetParameterNamesResponse":
            names = messages.parameter_names(body)
            devices.store_names(session, device_id, names)
            cwmp.state["leaves"] = [n for n, _ in names if not n.endswith(".")]
            task.result = {"names": len(names)}
            return []
        if envelope.method == "GetParameterValuesResponse":
            values = messages.parameter_values(messages.child(body, "ParameterList"))
            devices.store_values(session, device_id, values)
            if task.type == "diagnostics":
                return _diagnostics_done(kernel, session, task, {v.name: v.value for v in values})
            _finish(task, "done", {"values": {v.name: v.value for v in values}})
            return []
        if envelope.method == "GetParameterAttributesResponse":
            _finish(task, "done", {"attributes": messages.parameter_attributes(body)})
            return []
        fields = messages.simple_fields(body)
        if envelope.method == "SetParameterValuesResponse" and task.type == "diagnostics":
            _store_written(session, device_id, task.params["values"])
            # Requested: the CPE's 8 DIAGNOSTICS COMPLETE session reads the results.
            _finish(task, "running", {**fields, "diagnostics": "requested"})
            return []
        if envelope.method == "SetParameterValuesResponse":
            _store_written(
                session, device_id, {**task.params["values"], **task.params.get("sealed", {})}
            )
        elif envelope.method == "DeleteObjectResponse":
            devices.forget_subtree(session, device_id, task.params["object"])
        elif envelope.method == "CancelTransferResponse":
            _cancel(session, device_id, task)
        elif (
            envelope.method in ("DownloadResponse", "UploadResponse")
            and fields.get("Status") == "1"
        ):
            # Accepted, not yet done: the TransferComplete of a later session finishes it.
            _finish(task, "running", {**fields, "transfer": "started"})
            return []
        _finish(task, "done", fields)
    return []


def _diagnostics_done(
    kernel: Kernel, session: Session, task: CpeTask, values: dict[str, str]
) -> list[Sample]:
    """The diagnostic's results: on the task, and on the device timeline; a latency sample's
    telemetry samples."""
    found = diagnostics.results(task.params["object"], values)
    state = str(found.get("DiagnosticsState", ""))
    outcome = {"diagnostics": "complete", "state": state, "results": found}
    if state.startswith("Error"):
        task.fault = {
            "code": None,
            "message": state,
            "meaning": "Diagnostics failed",
            "parameters": [],
        }
        _finish(task, "fault", outcome)
    else:
        _finish(task, "done", outcome)
    payload = {"task": task.id, "kind": task.params["kind"], "state": state, "results": found}
    kernel.events.emit("cpe.diagnostics", task.device_id, payload, devices.ACTOR, session=session)
    return latency_samples.samples(task.device_id, task.params, found)


def _cancel(session: Session, device_id: str, task: CpeTask) -> None:
    """The transfer a ``cancel_transfer`` task named will not happen."""
    canceled = session.get(CpeTask, task.params["task"])
    if canceled is not None and canceled.device_id == device_id and _awaiting_transfer(canceled):
        canceled.fault = {
            "code": None,
            "message": f"canceled by task {task.id}",
            "meaning": "Transfer canceled",
            "parameters": [],
        }
        _finish(canceled, "fault", {"transfer": "canceled"})


def transfer_complete(kernel: Kernel, cwmp: CwmpSession, envelope: messages.Envelope) -> None:
    """A (Autonomous)TransferComplete: finish the transfer task it reports, and say so.

    ``TransferComplete`` carries the task id as CommandKey; an
    ``AutonomousTransferComplete`` has none, so it is matched to a waiting
    transfer task with the same URL when there is one.
    """
    report = messages.transfer_complete(envelope.body)
    code = int(str(report["fault_code"] or 0))
    with kernel.db.session() as session:
        task = _transfer_for(session, cwmp.device_id, envelope.method, report)
        payload: dict[str, Any] = {
            "command_key": report.get("CommandKey", ""),
            "autonomous": envelope.method == "AutonomousTransferComplete",
            "fault_code": code,
            "fault_string": report["fault_string"],
            "task": task.id if task is not None else None,
        }
        if task is not None:
            outcome = {
                "transfer": "complete",
                "start_time": report.get("StartTime", ""),
                "complete_time": report.get("CompleteTime", ""),
            }
            if code:
                task.fault = _fault_record(code, str(report["fault_string"]))
                _finish(task, "fault", outcome)
            else:
                if str(task.params.get("file_type", "")).startswith("1 "):
                    device = service.get_device(kernel, cwmp.device_id, session=session)
                    outcome["firmware"] = device.firmware if device is not None else None
                _finish(task, "done", outcome)
        kernel.events.emit(
            "cpe.transfer_complete", cwmp.device_id, payload, devices.ACTOR, session=session
        )


def _transfer_for(
    session: Session, device_id: str, method: str, report: dict[str, Any]
) -> CpeTask | None:
    if method == "TransferComplete":
        task = session.get(CpeTask, str(report.get("CommandKey", "")))
        if task is not None and task.device_id == device_id and _awaiting_transfer(task):
            return task
        return None
    url = report.get("TransferURL", "")
    waiting = session.execute(
        select(CpeTask)
        .where(task_rows.c.device_id == device_id, task_rows.c.status == "running")
        .order_by(task_rows.c.id)
    ).scalars()
    return next((t for t in waiting if _awaiting_transfer(t) and t.params.get("url") == url), None)


def _store_written(session: Session, device_id: str, values: dict[str, Any]) -> None:
    """A successful SetParameterValues: the store now holds the values written (secrets blank)."""
    types = devices.stored_types(session, device_id, values)
    written = [
        messages.ParameterValue(
            path,
            "" if is_secret(path) else value_text(value),
            types.get(path) or xsd_type(value)[4:],
        )
        for path, value in values.items()
    ]
    devices.store_values(session, device_id, written)
