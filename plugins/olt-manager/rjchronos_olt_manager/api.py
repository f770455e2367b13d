"""REST routes of the OLT manager: OLTs, their connection test and their ONUs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict
from typing import Any, TypeVar

from sqlalchemy import select
from starlette.responses import JSONResponse

from rjchronos.db.types import utcnow
from rjchronos.drivers.contracts import OltDriver, UnsupportedOperation
from rjchronos.drivers.olt_model import (
    AuthorizeRequest,
    InvalidRequest,
    OltCommandError,
    OltConnectionError,
    WriteResult,
)
from rjchronos.http.pagination import PAGE_QUERY
from rjchronos.http.problems import Problem
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.inventory import queries, service
from rjchronos.inventory.errors import Conflict, InvalidField, NotFound
from rjchronos.inventory.models import Device, devices
from rjchronos.kernel import Kernel
from rjchronos_olt_manager import PLUGIN, collector, schemas, signals, store
from rjchronos_olt_manager.connection import DriverChoiceError, Olt, identify, open_driver
from rjchronos_olt_manager.models import connections

OLTS_READ = "olts.read"
OLTS_WRITE = "olts.write"
OLTS_AUTHORIZE = "olts.authorize"
#: The ONU device attribute holding its authorization request, encrypted (resync and move).
AUTHORIZATION = "authorization_encrypted"
T = TypeVar("T")


# -- helpers -------------------------------------------------------------------


def _olt(call: ApiCall, permission: str) -> Olt:
    """The OLT of the path, 404 unless it exists and lies in the caller's scopes."""
    olt_id = call.path["id"]
    with call.kernel.db.session() as session:
        if not queries.device_visible(session, olt_id, call.user.scopes(permission) or [None]):
            raise Problem(404, "Not found", f"no OLT with id {olt_id!r}")
        try:
            return store.load(call.kernel, olt_id, session=session)
        except NotFound as exc:
            raise Problem(404, "Not found", str(exc)) from None


def _invalid(field: str, reason: str, status: int = 422) -> Problem:
    return Problem(
        status,
        "Invalid body" if status == 422 else "Conflict",
        f"body.{field}: {reason}",
        invalid_params=[{"name": f"body.{field}", "reason": reason}],
    )


def _on_olt(kernel: Kernel, olt: Olt, use: Callable[[OltDriver], Awaitable[T]]) -> T:
    """Run ``use`` with the OLT's driver; the OLT's failures become 502/409 problems."""

    async def main() -> T:
        async with open_driver(kernel, olt) as driver:
            return await use(driver)

    try:
        return asyncio.run(main())
    except OltConnectionError as exc:
        raise Problem(502, "OLT unreachable", str(exc), olt=olt.id) from None
    except OltCommandError as exc:
        raise Problem(502, "OLT refused a command", str(exc), olt=olt.id) from None
    except DriverChoiceError as exc:
        raise Problem(409, "No driver for this OLT", str(exc), olt=olt.id) from None
    except UnsupportedOperation as exc:
        raise Problem(409, "Not supported", str(exc), olt=olt.id) from None


def _write_result(result: WriteResult) -> dict[str, Any]:
    """A write's record with every password masked."""
    return {
        "ok": result.ok,
        "applied": [step.shown for step in result.applied],
        "failed": result.failed.shown if result.failed else None,
        "error": result.error,
        "not_run": [step.shown for step in result.not_run],
    }


def _onu(call: ApiCall, olt: Olt) -> Device:
    with call.kernel.db.session() as session:
        device = session.get(Device, call.path["onu_id"])
    if device is None or device.kind != "onu" or device.olt_id != olt.id:
        raise Problem(404, "Not found", f"no ONU with id {call.path['onu_id']!r} on this OLT")
    if "olt_port" not in device.attributes or "onu_id" not in device.attributes:
        raise Problem(409, "Unknown position", "the ONU's port and id are not known yet: collect")
    return device


def remember(kernel: Kernel, serial: str, body: Mapping[str, Any]) -> None:
    """Keep the authorization ``body`` (encrypted) on the ONU now in inventory."""
    device = service.find_device(kernel, serial=serial, kind="onu")
    if device is not None:
        sealed = kernel.secrets.encrypt(json.dumps(dict(body), sort_keys=True))
        attributes = {**device.attributes, AUTHORIZATION: sealed}
        if body.get("wan_mode") == "pppoe" and body.get("pppoe_username"):
            # Not a secret, and how a CPE behind a bridged ONU is found (collector.link_cpes).
            attributes["pppoe_username"] = body["pppoe_username"]
        service.update_device(kernel, device.id, {"attributes": attributes})


def _onu_view(device: Device) -> dict[str, Any]:
    return {
        "id": device.id,
        "serial": device.serial,
        "name": device.name,
        "model": device.model,
        "status": device.status,
        "status_since": device.status_since.isoformat() if device.status_since else None,
        "last_seen": device.last_seen.isoformat() if device.last_seen else None,
        "parent_id": device.parent_id,
        "port": device.attributes.get("olt_port"),
        "onu_id": device.attributes.get("onu_id"),
        "distance_m": device.attributes.get("distance_m"),
        "last_down_cause": device.attributes.get("last_down_cause"),
    }


# -- OLTs ----------------------------------------------------------------------


def list_olts(call: ApiCall) -> dict[str, Any]:
    """OLTs in the caller's scopes, by id."""
    statement = (
        select(Device)
        .join(connections, connections.c.device_id == devices.c.id)
        .where(devices.c.kind == "olt")
        .order_by(devices.c.id)
    )
    condition = queries.scope_condition(call.user.scopes(OLTS_READ) or [None])
    if condition is not None:
        statement = statement.where(condition)
    if call.query.get("cursor"):
        statement = statement.where(devices.c.id > call.query["cursor"])
    limit = call.query["limit"]
    with call.kernel.db.session() as session:
        rows = list(session.execute(statement.limit(limit + 1)).scalars())
        items = [store.render(store.load(call.kernel, d.id, session=session)) for d in rows[:limit]]
    return {"items": items, "next_cursor": rows[limit - 1].id if len(rows) > limit else None}


def _store_call(action: Callable[[], Olt]) -> Olt:
    try:
        return action()
    except InvalidField as exc:
        raise _invalid(exc.field, exc.reason) from None
    except Conflict as exc:
        raise _invalid(exc.field, exc.reason, status=409) from None


def create_olt(call: ApiCall) -> JSONResponse:
    if None not in call.user.scopes(OLTS_WRITE):
        raise Problem(403, "Forbidden", "adding an OLT needs olts.write everywhere")
    olt = _store_call(lambda: store.create(call.kernel, call.body, actor=call.user.actor))
    call.audit("olts.create", f"device:{olt.id}", call.body)
    return JSONResponse(store.render(olt), status_code=201)


def get_olt(call: ApiCall) -> dict[str, Any]:
    return store.render(_olt(call, OLTS_READ))


def signal_matrix(call: ApiCall) -> dict[str, Any]:
    """Every ONU's optics per PON port, bucketed, with outliers and degradation."""
    olt = _olt(call, OLTS_READ)
    kernel = call.kernel
    settings = kernel.plugin_settings(PLUGIN)
    thresholds = signals.Thresholds(
        good_dbm=settings.get("signal_good_dbm", -25.0),
        critical_dbm=settings.get("signal_critical_dbm", -27.0),
        outlier_db=settings.get("signal_outlier_db", 3.0),
        degradation_db=settings.get("signal_degradation_db", 2.0),
    )
    with kernel.db.session() as session:
        rows = session.execute(
            select(Device).where(devices.c.olt_id == olt.id, devices.c.kind == "onu")
        ).scalars()
        onus = [
            signals.OnuOptics(
                id=device.id,
                name=device.name,
                serial=device.serial or "",
                port=str(device.attributes.get("olt_port", "")),
                status=device.status,
                rx_dbm=device.attributes.get("rx_dbm"),
                tx_dbm=device.attributes.get("tx_dbm"),
                olt_rx_dbm=device.attributes.get("olt_rx_dbm"),
            )
            for device in rows
        ]
    ids = [onu.id for onu in onus]
    baselines = {
        name: kernel.telemetry.averages(ids, "onu.rx_dbm", start, end)
        for name, (start, end) in signals.baseline_windows(utcnow()).items()
    }
    return {
        "olt_id": olt.id,
        "thresholds": asdict(thresholds),
        "ports": signals.build_matrix(onus, baselines, thresholds),
    }


def update_olt(call: ApiCall) -> dict[str, Any]:
    olt = _olt(call, OLTS_WRITE)
    olt = _store_call(lambda: store.update(call.kernel, olt.id, call.body, actor=call.user.actor))
    call.audit("olts.update", f"device:{olt.id}", call.body)
    return store.render(olt)


def delete_olt(call: ApiCall) -> None:
    olt = _olt(call, OLTS_WRITE)
    store.delete(call.kernel, olt.id, actor=call.user.actor)
    call.audit("olts.delete", f"device:{olt.id}", {"name": olt.device.name})


def check_olt(call: ApiCall) -> dict[str, Any]:
    """Connect, identify and choose the driver; the facts are stored on the OLT."""
    olt = _olt(call, OLTS_WRITE)
    try:
        facts, driver = asyncio.run(identify(call.kernel, olt))
    except OltConnectionError as exc:
        return {"ok": False, "error": str(exc), "problem": exc.problem}
    except OltCommandError as exc:
        return {"ok": False, "error": str(exc), "problem": exc.error}
    except DriverChoiceError as exc:
        return {"ok": False, "error": str(exc), "problem": "driver"}
    changes = {k: v for k, v in {"model": facts.model, "firmware": facts.firmware}.items() if v}
    if facts.vendor:
        changes["vendor"] = facts.vendor
    if changes:
        service.update_device(call.kernel, olt.id, changes, actor=call.user.actor)
    call.audit("olts.test", f"device:{olt.id}", {"driver": driver.name})
    return {
        "ok": True,
        "driver": driver.name,
        "facts": {
            "vendor": facts.vendor,
            "model": facts.model,
            "firmware": facts.firmware,
            "sys_object_id": facts.sys_object_id,
            "sys_descr": facts.sys_descr,
        },
        "capabilities": sorted(driver.capabilities_for(facts) or driver.capabilities),
    }


# -- ONUs ----------------------------------------------------------------------


def list_unconfigured(call: ApiCall) -> dict[str, Any]:
    olt = _olt(call, OLTS_READ)

    async def read(driver: OltDriver) -> Any:
        return await driver.list_unconfigured_onus()

    listing = _on_olt(call.kernel, olt, read)
    return {
        "items": [
            {
                "port": onu.port,
                "serial": onu.serial,
                "equipment_id": onu.equipment_id,
                "vendor_id": onu.vendor_id,
                "software_version": onu.software_version,
                "found_at": onu.found_at.isoformat() if onu.found_at else None,
            }
            for onu in listing
        ],
        "issues": [{"raw": i.raw, "reason": i.reason} for i in listing.issues],
    }


def authorize_onu(call: ApiCall) -> JSONResponse:
    """Authorize an ONU; on success it is collected into inventory under its PON port."""
    olt = _olt(call, OLTS_AUTHORIZE)
    try:
        request = AuthorizeRequest(**call.body)
    except InvalidRequest as exc:
        raise _invalid(exc.field, exc.reason) from None

    async def write(driver: OltDriver) -> tuple[WriteResult, Any]:
        result = await driver.authorize(request)
        read = await collector.read_olt(driver, [request.port]) if result.ok else None
        return result, read

    result, read = _on_olt(call.kernel, olt, write)
    body = _write_result(result)
    target = f"device:{olt.id}"
    call.audit("olts.onus.authorize", target, {**call.body, **body}, "ok" if result.ok else "error")
    if not result.ok:
        return JSONResponse({**body, "onu": None}, status_code=409)
    collector.record(call.kernel, olt.id, *read)
    remember(call.kernel, request.serial, call.body)
    found = service.find_device(call.kernel, serial=request.serial, kind="onu")
    return JSONResponse({**body, "onu": _onu_view(found) if found else None}, status_code=201)


def list_onus(call: ApiCall) -> dict[str, Any]:
    """The ONUs inventory holds under this OLT (as of its last collection)."""
    olt = _olt(call, OLTS_READ)
    statement = (
        select(Device)
        .where(devices.c.olt_id == olt.id, devices.c.kind == "onu")
        .order_by(devices.c.id)
    )
    if call.query.get("cursor"):
        statement = statement.where(devices.c.id > call.query["cursor"])
    limit = call.query["limit"]
    with call.kernel.db.session() as session:
        rows = list(session.execute(statement.limit(limit + 1)).scalars())
    return {
        "items": [_onu_view(d) for d in rows[:limit]],
        "next_cursor": rows[limit - 1].id if len(rows) > limit else None,
    }


def reboot_onu(call: ApiCall) -> JSONResponse:
    olt = _olt(call, OLTS_AUTHORIZE)
    onu = _onu(call, olt)
    port, onu_id = onu.attributes["olt_port"], int(onu.attributes["onu_id"])

    async def write(driver: OltDriver) -> WriteResult:
        return await driver.reboot(port, onu_id)

    body = _write_result(_on_olt(call.kernel, olt, write))
    call.audit("olts.onus.reboot", f"device:{onu.id}", body, "ok" if body["ok"] else "error")
    return JSONResponse(body, status_code=200 if body["ok"] else 409)


def deauthorize_onu(call: ApiCall) -> JSONResponse:
    """Remove the ONU from the OLT, then from inventory."""
    olt = _olt(call, OLTS_AUTHORIZE)
    onu = _onu(call, olt)
    port, onu_id = onu.attributes["olt_port"], int(onu.attributes["onu_id"])

    async def write(driver: OltDriver) -> WriteResult:
        return await driver.deauthorize(port, onu_id)

    body = _write_result(_on_olt(call.kernel, olt, write))
    call.audit("olts.onus.deauthorize", f"device:{onu.id}", body, "ok" if body["ok"] else "error")
    if not body["ok"]:
        return JSONResponse(body, status_code=409)
    service.delete_device(call.kernel, onu.id, actor=call.user.actor)
    return JSONResponse(body)


def routes(kernel: Kernel) -> list[ApiRoute]:
    tags = ("olts",)
    one = "/olts/{id}"
    onu = "/olts/{id}/onus/{onu_id}"
    return [
        ApiRoute("GET", "/olts", list_olts, OLTS_READ, tags=tags, query=PAGE_QUERY, summary="OLTs"),
        ApiRoute(
            "POST",
            "/olts",
            create_olt,
            OLTS_WRITE,
            tags=tags,
            body_schema=schemas.OLT_CREATE,
            summary="Add an OLT",
        ),
        ApiRoute("GET", one, get_olt, OLTS_READ, tags=tags, summary="One OLT"),
        ApiRoute(
            "GET",
            f"{one}/signal-matrix",
            signal_matrix,
            OLTS_READ,
            tags=tags,
            summary="Optical signal matrix: ONU Rx/Tx/OLT Rx per PON port, buckets, diagnoses",
        ),
        ApiRoute(
            "PATCH",
            one,
            update_olt,
            OLTS_WRITE,
            tags=tags,
            body_schema=schemas.OLT_UPDATE,
            summary="Change an OLT",
        ),
        ApiRoute(
            "DELETE",
            one,
            delete_olt,
            OLTS_WRITE,
            tags=tags,
            status_code=204,
            summary="Remove an OLT",
        ),
        ApiRoute(
            "POST",
            f"{one}/test",
            check_olt,
            OLTS_WRITE,
            tags=tags,
            summary="Connect, identify and choose the driver",
        ),
        ApiRoute(
            "GET",
            f"{one}/unconfigured-onus",
            list_unconfigured,
            OLTS_READ,
            tags=tags,
            summary="ONUs waiting for authorization",
        ),
        ApiRoute(
            "POST",
            f"{one}/onus",
            authorize_onu,
            OLTS_AUTHORIZE,
            tags=tags,
            body_schema=schemas.AUTHORIZE,
            summary="Authorize an ONU",
        ),
        ApiRoute(
            "GET",
            f"{one}/onus",
            list_onus,
            OLTS_READ,
            tags=tags,
            query=PAGE_QUERY,
            summary="ONUs of an OLT",
        ),
        ApiRoute(
            "POST", f"{onu}/reboot", reboot_onu, OLTS_AUTHORIZE, tags=tags, summary="Reboot an ONU"
        ),
        ApiRoute(
            "DELETE", onu, deauthorize_onu, OLTS_AUTHORIZE, tags=tags, summary="Deauthorize an ONU"
        ),
    ]
