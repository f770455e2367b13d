"""The per-device task queue: what the API asks for, turned into RPCs at the CPE's next session."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlmodel import Session

from rjchronos.db.types import utcnow
from rjchronos_acs_tr069 import devices, faults, messages
from rjchronos_acs_tr069.models import CpeTask, task_rows
from rjchronos_acs_tr069.sessions import CwmpSession
from rjchronos_acs_tr069.soap import AcsRequest, value_text, xsd_type

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

_PATH = {"type": "string", "minLength": 1, "maxLength": 256}
_OBJECT = {"type": "string", "minLength": 2, "maxLength": 256, "pattern": r"\.$"}


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
            ]
        }
    },
    "allOf": [
        _task(
            "get_parameter_values",
            {"paths": {"type": "array", "items": _PATH, "minItems": 1}},
            ("paths",),
        ),
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
    ],
}


def create_task(
    kernel: Kernel, device_id: str, body: dict[str, Any], *, actor: str, ttl: float
) -> CpeTask:
    """Queue a task for the device's next session."""
    params = {k: v for k, v in body.items() if k != "type"}
    task = CpeTask(
        device_id=device_id,
        type=body["type"],
        params=params,
        created_by=actor,
        expires_at=utcnow() + timedelta(seconds=ttl),
    )
    with kernel.db.session() as session:
        session.add(task)
    return task


def render(task: CpeTask) -> dict[str, Any]:
    """A task as the API shows it."""
    return {
        "id": task.id,
        "device_id": task.device_id,
        "type": task.type,
        "params": task.params,
        "status": task.status,
        "fault": task.fault,
        "result": task.result,
        "created_by": task.created_by,
        "created_at": task.created_at.isoformat(),
        "updated_at": task.updated_at.isoformat(),
        "expires_at": task.expires_at.isoformat(),
    }


def requeue_interrupted(kernel: Kernel, device_id: str) -> None:
    """Tasks left running by a session that died go back to the queue."""
    with kernel.db.session() as session:
        session.execute(
            update(CpeTask)
            .where(task_rows.c.device_id == device_id, task_rows.c.status == "running")
            .values(status="pending", updated_at=utcnow())
        )


def next_request(kernel: Kernel, cwmp: CwmpSession) -> AcsRequest | None:
    """The next RPC to send in this session (claiming the next pending task), or ``None``."""
    with kernel.db.session() as session:
        if cwmp.task_id is not None:
            task = session.get(CpeTask, cwmp.task_id)
            if task is not None and task.status == "running":
                request = _request(session, task, cwmp)
                if request is not None:
                    return request
                _finish(task, "done")
        cwmp.task_id, cwmp.step, cwmp.state = None, "", {}
        now = utcnow()
        while True:
            task = session.execute(
                select(CpeTask)
                .where(task_rows.c.device_id == cwmp.device_id, task_rows.c.status == "pending")
                .order_by(task_rows.c.id)
                .limit(1)
            ).scalar_one_or_none()
            if task is None:
                return None
            if task.expires_at <= now:
                _finish(task, "expired")
                session.flush()
                continue
            task.status, task.updated_at = "running", now
            cwmp.task_id = task.id
            request = _request(session, task, cwmp)
            if request is not None:
                return request
            _finish(task, "done")
            session.flush()


def _request(session: Session, task: CpeTask, cwmp: CwmpSession) -> AcsRequest | None:
    """The task's RPC for its current step; ``None`` when it has nothing more to send."""
    p = task.params
    if cwmp.step == "sent":
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
    if task.type == "get_parameter_values":
        return AcsRequest("GetParameterValues", {"names": p["paths"]})
    if task.type == "set_parameter_values":
        types = devices.stored_types(session, task.device_id, p["values"])
        return AcsRequest(
            "SetParameterValues", {"values": p["values"], "types": types, "parameter_key": task.id}
        )
    if task.type == "reboot":
        return AcsRequest("Reboot", {"command_key": task.id})
    if task.type == "factory_reset":
        return AcsRequest("FactoryReset")
    if task.type == "add_object":
        return AcsRequest("AddObject", {"object": p["object"], "parameter_key": task.id})
    if task.type == "delete_object":
        return AcsRequest("DeleteObject", {"object": p["object"], "parameter_key": task.id})
    raise ValueError(f"task {task.id} has an unknown type {task.type!r}")


def _finish(task: CpeTask, status: str, result: dict[str, Any] | None = None) -> None:
    task.status, task.updated_at = status, utcnow()
    if result is not None:
        task.result = {**(task.result or {}), **result}


def handle_answer(kernel: Kernel, cwmp: CwmpSession, envelope: messages.Envelope) -> None:
    """Apply the CPE's answer (a response or a Fault) to the task that asked for it."""
    if cwmp.task_id is None:
        return
    with kernel.db.session() as session:
        task = session.get(CpeTask, cwmp.task_id)
        if task is None or task.status != "running":
            return
        body = envelope.body
        if envelope.method == "Fault":
            fault = messages.read_fault(body)
            task.fault = {
                "code": fault.code,
                "message": fault.message,
                "meaning": faults.meaning(fault.code),
                "parameters": [
                    {"path": path, "code": code, "message": text, "meaning": faults.meaning(code)}
                    for path, code, text in fault.parameters
                ],
            }
            _finish(task, "fault")
            cwmp.step = "sent"
            return
        device_id = task.device_id
        if envelope.method == "GetParameterNamesResponse":
            names = messages.parameter_names(body)
            devices.store_names(session, device_id, names)
            cwmp.state["leaves"] = [n for n, _ in names if not n.endswith(".")]
            task.result = {"names": len(names)}
            return
        if envelope.method == "GetParameterValuesResponse":
            values = messages.parameter_values(messages.child(body, "ParameterList"))
            devices.store_values(session, device_id, values)
            _finish(task, "done", {"values": {v.name: v.value for v in values}})
            return
        fields = messages.simple_fields(body)
        if envelope.method == "SetParameterValuesResponse":
            _store_written(session, device_id, task.params["values"])
        elif envelope.method == "DeleteObjectResponse":
            devices.forget_subtree(session, device_id, task.params["object"])
        _finish(task, "done", fields)


def _store_written(session: Session, device_id: str, values: dict[str, Any]) -> None:
    """A successful SetParameterValues: the store now holds the values written."""
    types = devices.stored_types(session, device_id, values)
    written = [
        messages.ParameterValue(path, value_text(value), types.get(path) or xsd_type(value)[4:])
        for path, value in values.items()
    ]
    devices.store_values(session, device_id, written)
