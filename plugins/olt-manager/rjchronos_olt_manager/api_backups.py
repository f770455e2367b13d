"""REST routes of configuration backups: list, take one now, read one, diff two."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import col, select
from starlette.responses import JSONResponse

from rjchronos.http.pagination import PAGE_QUERY, paginate
from rjchronos.http.problems import Problem
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.inventory.errors import NotFound
from rjchronos_olt_manager import backups
from rjchronos_olt_manager.api import _olt
from rjchronos_olt_manager.models import OltConfigBackup

#: Reading configurations shows what the OLT holds (secrets included): admins only by default.
OLTS_CONFIG = "olts.config"
DIFF_QUERY: dict[str, dict[str, Any]] = {
    "from": {"type": "string", "description": "id of the older version"},
    "to": {"type": "string", "description": "id of the newer version (default: the latest)"},
}


def _summary(version: OltConfigBackup) -> dict[str, Any]:
    return {
        "id": version.id,
        "taken_at": version.taken_at.isoformat(),
        "sha256": version.sha256,
        "size": version.size,
        "actor": version.actor,
    }


def list_backups(call: ApiCall) -> dict[str, Any]:
    """Versions of the OLT's configuration, newest first (without their text)."""
    olt = _olt(call, OLTS_CONFIG)
    statement = select(OltConfigBackup).where(OltConfigBackup.device_id == olt.id)
    with call.kernel.db.session() as session:
        page = paginate(
            session, statement, col(OltConfigBackup.id), call.query, _summary, descending=True
        )
    return {**page, "last_backup_at": _iso(olt.settings.last_backup_at)}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def take_backup(call: ApiCall) -> JSONResponse:
    """Read the configuration now: 201 with a new version, 200 when it did not change."""
    olt = _olt(call, OLTS_CONFIG)
    result = asyncio.run(backups.backup(call.kernel, olt.id, actor=call.user.actor))
    call.audit(
        "olts.config_backup", f"device:{olt.id}", result, "ok" if result.get("ok") else "error"
    )
    if not result.get("ok"):
        status = 409 if "skipped" in result else 502
        raise Problem(status, "No backup", result.get("error") or result["skipped"], olt=olt.id)
    version = backups.get_version(call.kernel, olt.id, result["backup"])
    return JSONResponse(
        {**_summary(version), "changed": result["changed"]},
        status_code=201 if result["changed"] else 200,
    )


def _version(call: ApiCall, olt_id: str, backup_id: str, field: str) -> OltConfigBackup:
    try:
        return backups.get_version(call.kernel, olt_id, backup_id)
    except NotFound:
        raise Problem(
            404,
            "Not found",
            f"{field}: no configuration backup {backup_id!r} of this OLT",
            invalid_params=[{"name": field, "reason": "no such backup of this OLT"}],
        ) from None


def get_backup(call: ApiCall) -> dict[str, Any]:
    olt = _olt(call, OLTS_CONFIG)
    version = _version(call, olt.id, call.path["backup_id"], "path.backup_id")
    return {**_summary(version), "content": version.content}


def diff_backups(call: ApiCall) -> dict[str, Any]:
    """The unified diff between two versions (``to`` defaults to the latest)."""
    olt = _olt(call, OLTS_CONFIG)
    if not call.query.get("from"):
        raise Problem(
            422,
            "Invalid query",
            "query.from: required",
            invalid_params=[{"name": "query.from", "reason": "required"}],
        )
    old = _version(call, olt.id, call.query["from"], "query.from")
    if call.query.get("to"):
        new = _version(call, olt.id, call.query["to"], "query.to")
    else:
        with call.kernel.db.session() as session:
            latest = session.exec(
                select(OltConfigBackup.id)
                .where(OltConfigBackup.device_id == olt.id)
                .order_by(col(OltConfigBackup.id).desc())
                .limit(1)
            ).one()
        new = _version(call, olt.id, latest, "query.to")
    text = backups.diff(old, new)
    return {"from": _summary(old), "to": _summary(new), "identical": not text, "diff": text}


def routes() -> list[ApiRoute]:
    tags = ("olts",)
    base = "/olts/{id}/config-backups"
    return [
        ApiRoute(
            "GET",
            base,
            list_backups,
            OLTS_CONFIG,
            tags=tags,
            query=PAGE_QUERY,
            summary="Configuration backups of an OLT",
        ),
        ApiRoute(
            "POST",
            base,
            take_backup,
            OLTS_CONFIG,
            tags=tags,
            summary="Back up the configuration now",
        ),
        ApiRoute(
            "GET",
            f"{base}/diff",
            diff_backups,
            OLTS_CONFIG,
            tags=tags,
            query=DIFF_QUERY,
            summary="Unified diff between two configuration backups",
        ),
        ApiRoute(
            "GET",
            f"{base}/{{backup_id}}",
            get_backup,
            OLTS_CONFIG,
            tags=tags,
            summary="One configuration backup with its text",
        ),
    ]
