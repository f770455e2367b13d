"""REST routes of the firmware store (``/firmware``) and of campaigns (``/campaigns``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal, select, tuple_
from starlette.concurrency import run_in_threadpool

from rjchronos.http.pagination import decode_cursor, encode_cursor
from rjchronos.http.problems import Problem
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.kernel import Kernel
from rjchronos_acs_tr069 import campaigns, firmware
from rjchronos_acs_tr069.models_firmware import (
    Campaign,
    CampaignDevice,
    FirmwareImage,
    campaign_devices,
    campaign_rows,
    images,
)

FIRMWARE_READ = "acs.firmware.read"
FIRMWARE_WRITE = "acs.firmware.write"
CAMPAIGNS_READ = "acs.campaigns.read"
CAMPAIGNS_WRITE = "acs.campaigns.write"
_ID = {"type": "string", "minLength": 1, "maxLength": 26}
_TIME = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"}

UPLOAD_QUERY: dict[str, dict[str, Any]] = {
    "version": {"type": "string", "minLength": 1, "maxLength": 128},
    "sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
    "product_class": {"type": "string", "maxLength": 64, "default": ""},
    "oui": {"type": "string", "pattern": "^([0-9A-Fa-f]{6})?$", "default": ""},
    "filename": {"type": "string", "pattern": r"^[A-Za-z0-9._-]{1,255}$"},
    "file_type": {"enum": [firmware.FIRMWARE_TYPE], "default": firmware.FIRMWARE_TYPE},
}

CAMPAIGN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "firmware", "target"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 120},
        "firmware": _ID,
        "target": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {
                "model": {"type": "string", "minLength": 1, "maxLength": 64},
                "devices": {"type": "array", "items": _ID, "minItems": 1, "maxItems": 10000},
                "tag": {"type": "string", "minLength": 1, "maxLength": 64},
            },
        },
        "batch_size": {"type": "integer", "minimum": 1, "maximum": 100000},
        "concurrency": {"type": "integer", "minimum": 1, "maximum": 10000},
        "max_failures": {"type": "integer", "minimum": 0},
        "transfer_timeout_seconds": {"type": "integer", "minimum": 10, "maximum": 7 * 86400},
        "window": {
            "type": "object",
            "required": ["start", "end"],
            "additionalProperties": False,
            "properties": {
                "start": _TIME,
                "end": _TIME,
                "timezone": {"type": "string", "minLength": 1, "maxLength": 64},
            },
        },
    },
}


async def upload(call: ApiCall) -> dict[str, Any]:
    """Store an image sent as the raw request body; metadata in the query."""
    if not call.query.get("version") or not call.query.get("sha256"):
        name = "query.version" if not call.query.get("version") else "query.sha256"
        raise Problem(
            422,
            "Invalid upload",
            f"{name} is required",
            invalid_params=[{"name": name, "reason": "required"}],
        )
    declared = call.request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > firmware.max_size(call.kernel):
        raise Problem(
            413,
            "Payload too large",
            f"an image may hold at most {firmware.max_size(call.kernel)} bytes",
        )
    try:
        image = await firmware.save(
            call.kernel, call.request.stream(), metadata=dict(call.query), actor=call.user.actor
        )
    except firmware.StoreError as exc:
        name = exc.field if exc.field == "body" else f"query.{exc.field}"
        raise Problem(
            exc.status,
            "Invalid upload",
            f"{name}: {exc.reason}",
            invalid_params=[{"name": name, "reason": exc.reason}],
        ) from exc
    rendered = firmware.render(image)
    await run_in_threadpool(call.audit, "acs.firmware.create", f"firmware:{image.id}", rendered)
    return rendered


def list_images(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        statement = select(FirmwareImage).order_by(images.c.created_at.desc())
        for key in ("product_class", "version"):
            if call.query.get(key):
                statement = statement.where(images.c[key] == call.query[key])
        return {"items": [firmware.render(i) for i in session.execute(statement).scalars()]}


def _image(session: Any, image_id: str) -> FirmwareImage:
    image = session.get(FirmwareImage, image_id)
    if image is None:
        raise Problem(404, "Not found", f"no firmware image with id {image_id!r}")
    return image


def get_image(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        return firmware.render(_image(session, call.path["id"]))


def delete_image(call: ApiCall) -> None:
    with call.kernel.db.session() as session:
        image = _image(session, call.path["id"])
        used = session.execute(
            select(campaign_rows.c.id).where(campaign_rows.c.firmware_id == image.id)
        ).first()
        if used is not None:
            raise Problem(409, "In use", f"campaign {used[0]} uses this image")
        session.delete(image)
    firmware.image_path(call.kernel, call.path["id"]).unlink(missing_ok=True)
    call.audit("acs.firmware.delete", f"firmware:{call.path['id']}")


# -- campaigns --------------------------------------------------------------------


def _enqueue(call: ApiCall, campaign_id: str, wake: list[str] | None = None) -> None:
    params: dict[str, Any] = {"campaign": campaign_id}
    if wake:
        params["wake"] = wake
    call.kernel.jobs.enqueue(campaigns.JOB_TYPE, params)


def create_campaign(call: ApiCall) -> dict[str, Any]:
    try:
        campaign = campaigns.create(call.kernel, call.body, call.user.actor)
    except LookupError as exc:
        raise Problem(
            422,
            "Invalid campaign",
            f"body.firmware: {exc}",
            invalid_params=[{"name": "body.firmware", "reason": str(exc)}],
        ) from exc
    except ValueError as exc:
        raise Problem(
            422,
            "Invalid campaign",
            f"body.target: {exc}",
            invalid_params=[{"name": "body.target", "reason": str(exc)}],
        ) from exc
    call.audit("acs.campaigns.create", f"campaign:{campaign.id}", call.body)
    _enqueue(call, campaign.id)
    return _render(call, campaign.id)


def _render(call: ApiCall, campaign_id: str) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise Problem(404, "Not found", f"no campaign with id {campaign_id!r}")
        return campaigns.render(session, campaign)


def get_campaign(call: ApiCall) -> dict[str, Any]:
    return _render(call, call.path["id"])


def list_campaigns(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        rows = session.execute(
            select(Campaign).order_by(campaign_rows.c.created_at.desc())
        ).scalars()
        return {"items": [campaigns.render(session, c) for c in rows]}


def _after(cursor: str) -> tuple[int, str]:
    """The ``(batch, device_id)`` a devices cursor resumes after."""
    after = decode_cursor(cursor)
    if not (
        isinstance(after, list)
        and len(after) == 2
        and isinstance(after[0], int)
        and isinstance(after[1], str)
    ):
        raise Problem(
            422,
            "Invalid query",
            "query.cursor: not a cursor of this list",
            invalid_params=[{"name": "query.cursor", "reason": "not a cursor of this list"}],
        )
    return after[0], after[1]


def campaign_device_list(call: ApiCall) -> dict[str, Any]:
    """A campaign's devices by batch and id; every one, or pages of ``limit`` (``next_cursor``)."""
    _render(call, call.path["id"])
    key = (campaign_devices.c.batch, campaign_devices.c.device_id)
    limit: int = call.query.get("limit") or 0
    with call.kernel.db.session() as session:
        statement = select(CampaignDevice).where(campaign_devices.c.campaign_id == call.path["id"])
        if call.query.get("state"):
            statement = statement.where(campaign_devices.c.state == call.query["state"])
        if call.query.get("cursor"):
            batch, device_id = _after(call.query["cursor"])
            statement = statement.where(tuple_(*key) > tuple_(literal(batch), literal(device_id)))
        statement = statement.order_by(*key)
        if limit:
            statement = statement.limit(limit + 1)
        rows = list(session.execute(statement).scalars())
        more = 0 < limit < len(rows)
        rows = rows[:limit] if limit else rows
        return {
            "items": [
                {
                    "device_id": r.device_id,
                    "batch": r.batch,
                    "state": r.state,
                    "previous_version": r.previous_version,
                    "task": r.task_id,
                    "rollback_task": r.rollback_task_id,
                    "error": r.error,
                }
                for r in rows
            ],
            "next_cursor": encode_cursor([rows[-1].batch, rows[-1].device_id]) if more else None,
        }


def _action(name: str) -> Any:
    def act(call: ApiCall) -> dict[str, Any]:
        _render(call, call.path["id"])
        limit = (call.body or {}).get("max_failures")
        try:
            campaigns.set_status(call.kernel, call.path["id"], name, call.user.actor, limit)
        except ValueError as exc:
            raise Problem(409, "Conflict", str(exc)) from exc
        call.audit(f"acs.campaigns.{name}", f"campaign:{call.path['id']}", call.body or {})
        if name == "resume":
            _enqueue(call, call.path["id"])
        return _render(call, call.path["id"])

    act.__name__ = f"{name}_campaign"
    act.__doc__ = f"{name.capitalize()} the campaign."
    return act


def rollback_campaign(call: ApiCall) -> dict[str, Any]:
    """Queue the previous image for the failed devices, or for all (``scope``)."""
    _render(call, call.path["id"])
    scope = (call.body or {}).get("scope", "failed")
    wake = campaigns.rollback(call.kernel, call.path["id"], scope)
    call.audit(
        "acs.campaigns.rollback",
        f"campaign:{call.path['id']}",
        {"scope": scope, "devices": len(wake)},
    )
    _enqueue(call, call.path["id"], wake)
    return {**_render(call, call.path["id"]), "rolling_back": len(wake)}


def routes(kernel: Kernel) -> list[ApiRoute]:
    fw, cp = ("acs", "firmware"), ("acs", "campaigns")
    # No "type": an empty body (null) is allowed too.
    limit_body = {
        "additionalProperties": False,
        "properties": {"max_failures": {"type": "integer", "minimum": 0}},
    }
    return [
        ApiRoute(
            "POST",
            "/firmware",
            upload,
            FIRMWARE_WRITE,
            tags=fw,
            status_code=201,
            summary="Upload a firmware image (raw body; metadata in the query)",
            query=UPLOAD_QUERY,
            body_media_type="application/octet-stream",
        ),
        ApiRoute(
            "GET",
            "/firmware",
            list_images,
            FIRMWARE_READ,
            tags=fw,
            summary="Stored firmware images, newest first",
            query={"product_class": {"type": "string"}, "version": {"type": "string"}},
        ),
        ApiRoute(
            "GET",
            "/firmware/{id}",
            get_image,
            FIRMWARE_READ,
            tags=fw,
            summary="One stored firmware image",
        ),
        ApiRoute(
            "DELETE",
            "/firmware/{id}",
            delete_image,
            FIRMWARE_WRITE,
            tags=fw,
            status_code=204,
            summary="Delete an image no campaign uses",
        ),
        ApiRoute(
            "POST",
            "/campaigns",
            create_campaign,
            CAMPAIGNS_WRITE,
            tags=cp,
            status_code=201,
            body_schema=CAMPAIGN_SCHEMA,
            summary="Start a firmware campaign",
        ),
        ApiRoute(
            "GET",
            "/campaigns",
            list_campaigns,
            CAMPAIGNS_READ,
            tags=cp,
            summary="Campaigns with their progress",
        ),
        ApiRoute(
            "GET",
            "/campaigns/{id}",
            get_campaign,
            CAMPAIGNS_READ,
            tags=cp,
            summary="A campaign with its counts per state",
        ),
        ApiRoute(
            "GET",
            "/campaigns/{id}/devices",
            campaign_device_list,
            CAMPAIGNS_READ,
            tags=cp,
            summary="A campaign's devices by batch: all of them, or pages of `limit`",
            query={
                "state": {"type": "string"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 10000},
                "cursor": {"type": "string", "description": "next_cursor of the previous page"},
            },
        ),
        *(
            ApiRoute(
                "POST",
                f"/campaigns/{{id}}/{name}",
                _action(name),
                CAMPAIGNS_WRITE,
                tags=cp,
                body_schema=limit_body,
                summary=f"{name.capitalize()} the campaign",
            )
            for name in ("pause", "resume", "cancel")
        ),
        ApiRoute(
            "POST",
            "/campaigns/{id}/rollback",
            rollback_campaign,
            CAMPAIGNS_WRITE,
            tags=cp,
            summary="Roll back failed devices (or all) to their previous image",
            body_schema={
                "additionalProperties": False,
                "properties": {"scope": {"enum": ["failed", "all"]}},
            },
        ),
    ]
