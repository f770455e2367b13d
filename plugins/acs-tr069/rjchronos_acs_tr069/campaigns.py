"""Firmware campaigns: staged rollouts driven by the jobs system.

A campaign's devices are fixed when it is created (by model, device ids or
tag) and split into batches. Each run of the job ``acs.campaigns.advance``
(scheduled every ``campaign_tick_seconds``, and enqueued at once by the API)
reads the state from the database, so a restarted process carries on where
the last one stopped:

1. transfers in flight are checked: a ``done`` download whose session reported
   the image's version (the Inform after ``1 BOOT`` / ``M Download``) is
   ``succeeded``; a fault, an expired task, another version, or no
   TransferComplete within ``transfer_timeout_seconds`` is ``failed``;
   rollbacks become ``rolled_back`` the same way;
2. at ``max_failures`` failed devices a running campaign pauses;
3. a running campaign inside its maintenance window starts devices of the
   current batch (the next batch once the previous one is finished) up to
   ``concurrency`` in flight, by queueing a ``download`` task of the stored
   image; the job then sends those CPEs connection requests;
4. a campaign with nothing left to do is ``completed``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlmodel import Session

from rjchronos.db.types import utcnow
from rjchronos.inventory.models import Device, devices
from rjchronos_acs_tr069 import PLUGIN, connreq, firmware
from rjchronos_acs_tr069.driver import Tr069Driver
from rjchronos_acs_tr069.models import CpeTask
from rjchronos_acs_tr069.models_firmware import (
    DEVICE_STATES,
    Campaign,
    CampaignDevice,
    FirmwareImage,
    campaign_devices,
    campaign_rows,
)
from rjchronos_acs_tr069.sessions import work_queued

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

JOB_TYPE = "acs.campaigns.advance"
ACTOR = "acs.campaigns"
DEFAULT_TICK_SECONDS = 10
IN_FLIGHT = ("in_progress", "rolling_back")


@dataclass
class Advance:
    """What one pass did: devices to reach by connection request, and state changes."""

    wake: list[str] = field(default_factory=list)
    finished: dict[str, str] = field(default_factory=dict)
    status: str = ""
    #: Why this pass paused the campaign (its failure threshold), when it did.
    paused: str = ""


def in_window(window: dict[str, Any] | None, now: datetime) -> bool:
    """Whether ``now`` (aware) lies in the daily window ``{start, end, timezone}``.

    A window whose end is before its start runs past midnight (22:00 to 04:00).
    """
    if not window:
        return True
    local = now.astimezone(ZoneInfo(window.get("timezone", "UTC"))).time()
    start, end = time.fromisoformat(window["start"]), time.fromisoformat(window["end"])
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def resolve_targets(session: Session, target: dict[str, Any]) -> list[Device]:
    """The CPEs a target names: ``model`` (model or ProductClass), ``devices`` (ids), ``tag``."""
    statement = select(Device).where(devices.c.kind == "cpe").order_by(devices.c.id)
    if "devices" in target:
        statement = statement.where(devices.c.id.in_(target["devices"]))
    if "model" in target:
        model = target["model"]
        # The identity test is a prefilter; the ProductClass is compared exactly below.
        statement = statement.where(
            or_(devices.c.model == model, devices.c.identity.contains(f"-{model}-"))
        )
    rows = list(session.execute(statement).scalars())
    if "model" in target:
        rows = [
            d for d in rows if target["model"] in (d.model, firmware.identity_parts(d.identity)[1])
        ]
    if "tag" in target:
        rows = [d for d in rows if target["tag"] in (d.tags or [])]
    return rows


def create(kernel: Kernel, spec: dict[str, Any], actor: str) -> Campaign:
    """Store a campaign and its devices, split into batches (``ValueError``: nothing to do)."""
    with kernel.db.session() as session:
        image = session.get(FirmwareImage, spec["firmware"])
        if image is None:
            raise LookupError("no such firmware image")
        targets = resolve_targets(session, spec["target"])
        if not targets:
            raise ValueError("the target matches no CPE")
        campaign = Campaign(
            name=spec["name"],
            firmware_id=image.id,
            target=spec["target"],
            batch_size=spec.get("batch_size", 50),
            concurrency=spec.get("concurrency", 50),
            max_failures=spec.get("max_failures", 10),
            transfer_timeout_seconds=spec.get("transfer_timeout_seconds", 1800),
            window=spec.get("window"),
            created_by=actor,
        )
        session.add(campaign)
        session.flush()
        for index, device in enumerate(targets):
            oui, product_class = firmware.identity_parts(device.identity)
            row = CampaignDevice(
                campaign_id=campaign.id,
                device_id=device.id,
                batch=index // campaign.batch_size,
                previous_version=device.firmware,
            )
            if device.firmware == image.version:
                row.state, row.error = "succeeded", "already on this version"
            elif not firmware.fits(image, product_class, oui):
                row.state, row.error = "failed", "the image is not for this device"
            session.add(row)
        session.expunge(campaign)
        return campaign


def counts(session: Session, campaign_id: str) -> dict[str, int]:
    """Devices of a campaign per state (every state listed, zeros included)."""
    rows = session.execute(
        select(campaign_devices.c.state, func.count())
        .where(campaign_devices.c.campaign_id == campaign_id)
        .group_by(campaign_devices.c.state)
    ).all()
    found = dict.fromkeys(DEVICE_STATES, 0)
    found.update({state: int(n) for state, n in rows})
    return found


def render(session: Session, campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "firmware": campaign.firmware_id,
        "status": campaign.status,
        "reason": campaign.reason,
        "target": campaign.target,
        "batch_size": campaign.batch_size,
        "concurrency": campaign.concurrency,
        "max_failures": campaign.max_failures,
        "transfer_timeout_seconds": campaign.transfer_timeout_seconds,
        "window": campaign.window,
        "counts": counts(session, campaign.id),
        "created_by": campaign.created_by,
        "created_at": campaign.created_at.isoformat(),
        "updated_at": campaign.updated_at.isoformat(),
    }


def _event(kernel: Kernel, session: Session, row: CampaignDevice, state: str, **extra: Any) -> None:
    payload = {"campaign": row.campaign_id, "state": state, **extra}
    kernel.events.emit("cpe.firmware_campaign", row.device_id, payload, ACTOR, session=session)


def _set(
    kernel: Kernel, session: Session, row: CampaignDevice, state: str, error: str = ""
) -> None:
    row.state, row.error, row.updated_at = state, error[:512], utcnow()
    _event(kernel, session, row, state, error=error)


def _queue_download(session: Session, row: CampaignDevice, image: FirmwareImage, ttl: float) -> str:
    """Queue a download of the stored image in the campaign's transaction."""
    params = {
        "file": image.id,
        "file_type": image.file_type,
        "file_size": image.size,
        "target_file_name": image.filename,
        "version": image.version,
        "campaign": row.campaign_id,
    }
    task = CpeTask(
        device_id=row.device_id,
        type="download",
        params=params,
        created_by=ACTOR,
        expires_at=utcnow() + timedelta(seconds=ttl),
    )
    session.add(task)
    work_queued()
    return task.id


def _check(
    kernel: Kernel, session: Session, campaign: Campaign, row: CampaignDevice, now: datetime
) -> None:
    """Move an in-flight device on when its transfer has finished, failed or timed out."""
    rollback = row.state == "rolling_back"
    task = session.get(CpeTask, row.rollback_task_id if rollback else row.task_id)
    expected = (task.params.get("version") if task is not None else None) or ""
    ok, failed = ("rolled_back", "failed") if rollback else ("succeeded", "failed")
    what = "rollback" if rollback else "download"
    if task is None:
        _set(kernel, session, row, failed, f"the {what} task is gone")
    elif task.status == "done":
        reported = (task.result or {}).get("firmware")
        if reported == expected:
            _set(kernel, session, row, ok)
        else:
            _set(
                kernel, session, row, failed, f"{what}: the CPE reports {reported}, not {expected}"
            )
    elif task.status in ("fault", "expired"):
        fault = task.fault or {}
        detail = f"{fault.get('code')} {fault.get('meaning') or fault.get('message', '')}"
        _set(kernel, session, row, failed, f"{what} {task.status}: {detail.strip()}")
    elif row.started_at and now - row.started_at > timedelta(
        seconds=campaign.transfer_timeout_seconds
    ):
        task.status, task.updated_at = "expired", now
        _set(kernel, session, row, failed, f"{what}: no TransferComplete in time")


def advance(kernel: Kernel, campaign_id: str, now: datetime | None = None) -> Advance:
    """One pass over a campaign (see the module's docstring); durable, idempotent."""
    now = now or utcnow()
    ttl = float(kernel.plugin_settings(PLUGIN).get("task_ttl_seconds", 7 * 24 * 3600))
    done = Advance()
    with kernel.db.session() as session:
        # The row lock keeps two passes (the schedule's and the API's) from starting one
        # device twice.
        campaign = session.execute(
            select(Campaign).where(campaign_rows.c.id == campaign_id).with_for_update()
        ).scalar_one_or_none()
        if campaign is None:
            return done
        rows = list(
            session.execute(
                select(CampaignDevice)
                .where(campaign_devices.c.campaign_id == campaign_id)
                .order_by(campaign_devices.c.batch, campaign_devices.c.device_id)
            ).scalars()
        )
        for row in rows:
            if row.state in IN_FLIGHT:
                before = row.state
                _check(kernel, session, campaign, row, now)
                if row.state != before:
                    done.finished[row.device_id] = row.state
        failed = sum(row.state == "failed" for row in rows)
        if (
            campaign.status == "running"
            and campaign.max_failures
            and failed >= campaign.max_failures
        ):
            campaign.status = "paused"
            campaign.reason = f"failure threshold reached: {failed} of {len(rows)} failed"
            campaign.updated_at = now
            done.paused = campaign.reason
        if campaign.status == "running" and in_window(campaign.window, now):
            image = session.get(FirmwareImage, campaign.firmware_id)
            pending = [row for row in rows if row.state == "pending"]
            flying = [row for row in rows if row.state == "in_progress"]
            if image is not None and pending:
                batch = pending[0].batch
                if not any(row.batch < batch for row in flying):
                    slots = campaign.concurrency - len(flying)
                    for row in [r for r in pending if r.batch == batch][: max(0, slots)]:
                        row.task_id = _queue_download(session, row, image, ttl)
                        row.started_at = now
                        _set(kernel, session, row, "in_progress")
                        done.wake.append(row.device_id)
            if not any(row.state in ("pending", *IN_FLIGHT) for row in rows):
                campaign.status, campaign.updated_at = "completed", now
        done.status = campaign.status
    if done.paused:
        kernel.audit.record(
            actor=ACTOR,
            action="acs.campaigns.pause",
            target=f"campaign:{campaign_id}",
            params={"reason": done.paused},
        )
    return done


def rollback(kernel: Kernel, campaign_id: str, scope: str) -> list[str]:
    """Queue the previous image for failed devices (``scope`` ``failed``) or for every device
    that got the new one or failed (``all``); a running campaign pauses first.

    The previous image is the stored image of the version the device had before the
    campaign that fits its OUI and ProductClass; without one the device stays as it
    is, with the reason in ``error``. Returns the devices to reach.
    """
    ttl = float(kernel.plugin_settings(PLUGIN).get("task_ttl_seconds", 7 * 24 * 3600))
    states = ("failed",) if scope == "failed" else ("failed", "succeeded")
    wake = []
    with kernel.db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        if campaign.status == "running":
            campaign.status, campaign.reason = "paused", f"rollback of {scope} devices requested"
        campaign.updated_at = utcnow()
        rows = session.execute(
            select(CampaignDevice).where(
                campaign_devices.c.campaign_id == campaign_id,
                campaign_devices.c.state.in_(states),
            )
        ).scalars()
        for row in rows:
            device = session.get(Device, row.device_id)
            oui, product_class = firmware.identity_parts(device.identity if device else "")
            image = firmware.find_version(session, row.previous_version, product_class, oui)
            if image is None:
                row.error = f"no stored image of version {row.previous_version!r} to roll back to"
                continue
            row.rollback_task_id = _queue_download(session, row, image, ttl)
            row.started_at = utcnow()
            _set(kernel, session, row, "rolling_back", row.error)
            wake.append(row.device_id)
    return wake


def set_status(
    kernel: Kernel, campaign_id: str, action: str, actor: str, max_failures: int | None = None
) -> Campaign:
    """Pause, resume or cancel a campaign (``ValueError`` when the move is not allowed).

    Cancelling leaves transfers in flight to finish (they are still tracked)
    and starts no more (devices not started stay ``pending``); resuming a
    campaign paused at its threshold keeps the count, so it pauses again at the
    next pass unless ``max_failures`` is raised with it.
    """
    allowed = {"pause": ("running",), "resume": ("paused",), "cancel": ("running", "paused")}
    target = {"pause": "paused", "resume": "running", "cancel": "cancelled"}[action]
    with kernel.db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        if campaign.status not in allowed[action]:
            raise ValueError(f"a {campaign.status} campaign cannot {action}")
        campaign.status, campaign.reason = target, f"{action} by {actor}"
        if max_failures is not None:
            campaign.max_failures = max_failures
        campaign.updated_at = utcnow()
        session.flush()
        session.expunge(campaign)
        return campaign


async def reach(kernel: Kernel, device_ids: list[str], parallel: int = 20) -> int:
    """Send connection requests to the devices; return how many accepted."""
    limit = asyncio.Semaphore(parallel)
    driver = Tr069Driver()

    async def one(device_id: str) -> bool:
        async with limit:
            request = await asyncio.to_thread(connreq.for_device, kernel, device_id)
            return request is not None and await driver.request_connection(request.as_device())

    return sum(await asyncio.gather(*(one(d) for d in device_ids)))


async def run_job(kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``acs.campaigns.advance`` job: advance one campaign, or every unfinished one."""
    ids = [params["campaign"]] if params.get("campaign") else await asyncio.to_thread(_open, kernel)
    summary: dict[str, Any] = {}
    for campaign_id in ids:
        step = await asyncio.to_thread(advance, kernel, campaign_id)
        wake = [*step.wake, *params.get("wake", [])] if params.get("campaign") else step.wake
        reached = await reach(kernel, wake) if wake else 0
        summary[campaign_id] = {
            "status": step.status,
            "started": len(step.wake),
            "finished": step.finished,
            "connection_requests": reached,
        }
    return summary


def _open(kernel: Kernel) -> list[str]:
    """Campaigns with work left: running ones, and paused or cancelled ones with transfers
    in flight (their outcome is still recorded)."""
    with kernel.db.session() as session:
        running = select(campaign_rows.c.id).where(campaign_rows.c.status == "running")
        flying = select(campaign_devices.c.campaign_id).where(
            campaign_devices.c.state.in_(IN_FLIGHT)
        )
        return sorted(
            set(session.execute(running).scalars()) | set(session.execute(flying).scalars())
        )
