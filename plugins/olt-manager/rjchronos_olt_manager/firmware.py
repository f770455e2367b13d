"""ONU firmware upgrades through the OLT (OMCI), for ONUs no ACS reaches, by model, in batches.

The ONUs are those of one OLT with the given model (or ids), online, and
without an ONT-type CPE of their own serial under them (that one is upgraded
through the ACS). They are loaded ``batch_size`` at a time, one driver write
per batch; the first batch that fails stops the rest, which are reported as
not run, so an upgrade never goes further than its first failure.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from starlette.responses import JSONResponse

from rjchronos.drivers.contracts import OltDriver
from rjchronos.drivers.olt_model import FirmwareUpgrade, InvalidRequest, WriteResult
from rjchronos.http.problems import Problem
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.inventory.models import Device, devices
from rjchronos_olt_manager.api import OLTS_WRITE, _invalid, _olt, _on_olt, _write_result

BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["file", "server"],
    "properties": {
        "file": {"type": "string", "minLength": 1, "maxLength": 128},
        "server": {"type": "string", "minLength": 1, "maxLength": 255},
        "protocol": {"enum": ["ftp", "tftp", "sftp"]},
        "username": {"type": "string", "maxLength": 64},
        "password": {"type": "string", "maxLength": 64},
        "activate": {"enum": ["immediate", "next-startup"]},
        "model": {"type": "string", "minLength": 1, "maxLength": 64},
        "onu_ids": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 4096},
        "batch_size": {"type": "integer", "minimum": 1, "maximum": 64, "default": 8},
    },
}


def _targets(call: ApiCall, olt_id: str) -> tuple[list[Device], list[dict[str, str]]]:
    """The ONUs to load and those skipped, with why."""
    body = call.body
    if not body.get("model") and not body.get("onu_ids"):
        raise _invalid("model", "name the ONU model to upgrade, or the ONUs (onu_ids)")
    statement = select(Device).where(devices.c.olt_id == olt_id, devices.c.kind == "onu")
    if body.get("model"):
        statement = statement.where(devices.c.model == body["model"])
    if body.get("onu_ids"):
        statement = statement.where(devices.c.id.in_(body["onu_ids"]))
    with call.kernel.db.session() as session:
        found = list(session.execute(statement.order_by(devices.c.id)).scalars())
        managed = set(
            session.execute(
                select(devices.c.parent_id).where(
                    devices.c.kind == "cpe",
                    devices.c.parent_id.in_([onu.id for onu in found]),
                    devices.c.serial.in_([onu.serial for onu in found if onu.serial]),
                )
            ).scalars()
        )
    missing = set(body.get("onu_ids") or ()) - {onu.id for onu in found}
    if missing:
        raise _invalid("onu_ids", f"not ONUs of this OLT: {', '.join(sorted(missing))}")
    targets, skipped = [], []
    for onu in found:
        if onu.id in managed:
            skipped.append({"id": onu.id, "reason": "reached by the ACS: upgrade it there"})
        elif onu.status != "online":
            skipped.append({"id": onu.id, "reason": f"not online ({onu.status})"})
        elif "olt_port" not in onu.attributes or "onu_id" not in onu.attributes:
            skipped.append({"id": onu.id, "reason": "port and id not known yet: collect"})
        else:
            targets.append(onu)
    return targets, skipped


def _request(body: dict[str, Any], batch: list[Device]) -> FirmwareUpgrade:
    try:
        return FirmwareUpgrade(
            file=body["file"],
            server=body["server"],
            targets=tuple(
                (str(onu.attributes["olt_port"]), int(onu.attributes["onu_id"])) for onu in batch
            ),
            protocol=body.get("protocol", "ftp"),
            username=body.get("username", ""),
            password=body.get("password", ""),
            activate=body.get("activate", "immediate"),
        )
    except InvalidRequest as exc:
        raise _invalid(exc.field, exc.reason) from None


def upgrade_onus(call: ApiCall) -> JSONResponse:
    """Load a firmware onto the chosen ONUs of this OLT, batch by batch."""
    olt = _olt(call, OLTS_WRITE)
    targets, skipped = _targets(call, olt.id)
    if not targets:
        raise Problem(409, "Nothing to upgrade", "no ONU of this OLT qualifies", skipped=skipped)
    size = int(call.body.get("batch_size", 8))
    batches = [targets[start : start + size] for start in range(0, len(targets), size)]
    requests = [_request(call.body, batch) for batch in batches]  # all checked before any write

    async def write(driver: OltDriver) -> list[WriteResult]:
        results = []
        for request in requests:
            result = await driver.upgrade_firmware(request)
            results.append(result)
            if not result.ok:
                break
            await asyncio.sleep(0)
        return results

    results = _on_olt(call.kernel, olt, write)
    done = [
        {"onus": [onu.id for onu in batch], **_write_result(result)}
        for batch, result in zip(batches, results, strict=False)
    ]
    not_run = [onu.id for batch in batches[len(results) :] for onu in batch]
    ok = all(result.ok for result in results)
    body = {"ok": ok, "batches": done, "skipped": skipped, "not_run": not_run}
    params = {**{k: v for k, v in call.body.items() if k != "password"}, **body}
    call.audit("olts.onus.firmware", f"device:{olt.id}", params, "ok" if ok else "error")
    return JSONResponse(body, status_code=200 if ok else 409)


def routes() -> list[ApiRoute]:
    return [
        ApiRoute(
            "POST",
            "/olts/{id}/onu-firmware",
            upgrade_onus,
            OLTS_WRITE,
            tags=("olts",),
            body_schema=BODY,
            summary="Upgrade ONU firmware through the OLT (OMCI), by model, in batches",
        )
    ]
