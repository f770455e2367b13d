"""ONU actions beyond authorize: enable, disable, resync and move, each with its write record.

Resync and move re-push the ONU's stored authorization (the last
``POST /olts/{id}/onus`` body, kept encrypted on the ONU's device): the ONU
is removed and authorized again, on the same port for a resync, on another
for a move. Each answers the steps of both halves, so an authorize refused
after the removal shows exactly what is left on the OLT.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

from rjchronos.drivers.contracts import OltDriver
from rjchronos.drivers.olt_model import AuthorizeRequest, InvalidRequest, WriteResult
from rjchronos.http.problems import Problem
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.inventory import service
from rjchronos.inventory.models import Device
from rjchronos.kernel import Kernel
from rjchronos_olt_manager import collector
from rjchronos_olt_manager.api import (
    AUTHORIZATION,
    OLTS_AUTHORIZE,
    _invalid,
    _olt,
    _on_olt,
    _onu,
    _onu_view,
    _write_result,
    remember,
)

MOVE_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["port"],
    "properties": {
        "port": {"type": "string", "minLength": 1, "maxLength": 32},
        "onu_id": {"type": ["integer", "null"], "minimum": 0, "maximum": 255},
    },
}


def _stored(kernel: Kernel, device: Device) -> dict[str, Any]:
    sealed = device.attributes.get(AUTHORIZATION)
    if not sealed:
        raise Problem(
            409,
            "No stored authorization",
            "this ONU was not authorized through RJChronos: authorize it again with "
            "POST /olts/{id}/onus so its configuration can be re-pushed",
        )
    return dict(json.loads(kernel.secrets.decrypt(sealed)))


def set_enabled(call: ApiCall, enabled: bool) -> JSONResponse:
    olt = _olt(call, OLTS_AUTHORIZE)
    onu = _onu(call, olt)
    port, onu_id = onu.attributes["olt_port"], int(onu.attributes["onu_id"])

    async def write(driver: OltDriver) -> tuple[WriteResult, Any]:
        result = await driver.set_enabled(port, onu_id, enabled)
        return result, await collector.read_olt(driver, [port])

    result, read = _on_olt(call.kernel, olt, write)
    body = _write_result(result)
    action = "olts.onus.enable" if enabled else "olts.onus.disable"
    call.audit(action, f"device:{onu.id}", body, "ok" if result.ok else "error")
    collector.record(call.kernel, olt.id, *read)
    return _answer(call.kernel, body, onu.id, result.ok)


def enable_onu(call: ApiCall) -> JSONResponse:
    """Activate the ONU on its port."""
    return set_enabled(call, True)


def disable_onu(call: ApiCall) -> JSONResponse:
    """Deactivate the ONU (it stays authorized, offline)."""
    return set_enabled(call, False)


def resync_onu(call: ApiCall) -> JSONResponse:
    """Re-push the ONU's stored authorization on the same port and ONU id."""
    return _reauthorize(call, "olts.onus.resync", {})


def move_onu(call: ApiCall) -> JSONResponse:
    """Authorize the ONU on another port (and ONU id) with its stored authorization."""
    changes = {"port": call.body["port"], "onu_id": call.body.get("onu_id")}
    return _reauthorize(call, "olts.onus.move", changes)


def _reauthorize(call: ApiCall, action: str, changes: Mapping[str, Any]) -> JSONResponse:
    olt = _olt(call, OLTS_AUTHORIZE)
    onu = _onu(call, olt)
    port, onu_id = onu.attributes["olt_port"], int(onu.attributes["onu_id"])
    stored = _stored(call.kernel, onu)
    wanted = {**stored, "port": port, "onu_id": onu_id, **changes}
    try:
        request = AuthorizeRequest(**wanted)
    except InvalidRequest as exc:
        raise _invalid(exc.field, exc.reason) from None

    async def write(driver: OltDriver) -> tuple[WriteResult, Any]:
        removed = await driver.deauthorize(port, onu_id)
        if not removed.ok:
            return removed, None
        added = await driver.authorize(request)
        result = WriteResult(
            applied=removed.applied + added.applied,
            failed=added.failed,
            error=added.error,
            not_run=added.not_run,
            outputs=removed.outputs + added.outputs,
        )
        return result, await collector.read_olt(driver, sorted({port, request.port}))

    result, read = _on_olt(call.kernel, olt, write)
    body = _write_result(result)
    target = f"device:{onu.id}"
    call.audit(action, target, {**body, "from": port, "to": request.port}, _outcome(result))
    if read is not None:
        collector.record(call.kernel, olt.id, *read)
        if result.ok:
            remember(call.kernel, request.serial, wanted)
    return _answer(call.kernel, body, onu.id, result.ok)


def _outcome(result: WriteResult) -> str:
    return "ok" if result.ok else "error"


def _answer(kernel: Kernel, body: dict[str, Any], device_id: str, ok: bool) -> JSONResponse:
    found = service.get_device(kernel, device_id)
    return JSONResponse(
        {**body, "onu": _onu_view(found) if found else None}, status_code=200 if ok else 409
    )


def routes() -> list[ApiRoute]:
    tags = ("olts",)
    onu = "/olts/{id}/onus/{onu_id}"
    return [
        ApiRoute(
            "POST",
            f"{onu}/enable",
            enable_onu,
            OLTS_AUTHORIZE,
            tags=tags,
            summary="Activate an ONU",
        ),
        ApiRoute(
            "POST",
            f"{onu}/disable",
            disable_onu,
            OLTS_AUTHORIZE,
            tags=tags,
            summary="Deactivate an ONU",
        ),
        ApiRoute(
            "POST",
            f"{onu}/resync",
            resync_onu,
            OLTS_AUTHORIZE,
            tags=tags,
            summary="Re-push an ONU's stored authorization",
        ),
        ApiRoute(
            "POST",
            f"{onu}/move",
            move_onu,
            OLTS_AUTHORIZE,
            tags=tags,
            body_schema=MOVE_BODY,
            summary="Move an ONU to another port",
        ),
    ]
