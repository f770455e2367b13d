"""Executors of the actions diagnosis suggests for CPEs, through the ACS's own task queue.

``wifi.change_channel`` moves a radio to a channel no neighbour uses (the
radio's ``ChannelsInUse`` as last read), ``cpe.reboot`` reboots,
``cpe.reprovision`` runs the device's on-demand profiles again. Each queues
what an operator's request would (a task, a provisioning request), audits it,
sends a connection request and waits up to ``action_wait_seconds`` for the
CPE's session. A channel change keeps the value it replaced, so it can be
rolled back with another ``set_parameter_values``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from rjchronos.ai.contracts import ActionError, ActionExecutor, Applied, texts
from rjchronos.db.types import utcnow
from rjchronos.kernel import Kernel
from rjchronos_acs_tr069 import PLUGIN, api, connreq, names, tasks
from rjchronos_acs_tr069.driver import Tr069Driver
from rjchronos_acs_tr069.models import CpeTask, parameters
from rjchronos_acs_tr069.sessions import work_queued

ACTOR = "system:ai"
DEFAULT_WAIT_SECONDS = 30.0
#: Non-overlapping channels per band, in the order they are tried.
CHANNELS = {"2.4GHz": (1, 6, 11), "5GHz": (36, 40, 44, 48, 149, 153, 157, 161)}


def _stored(kernel: Kernel, device_id: str) -> dict[str, str | None]:
    with kernel.db.session() as session:
        rows = session.execute(
            select(parameters.c.path, parameters.c.value).where(parameters.c.device_id == device_id)
        )
        return {path: value for path, value in rows}


def in_use(text: str | None) -> set[int]:
    """The channels of a ``ChannelsInUse`` list (``"1,6"``, ranges ``"1-3"`` included)."""
    found: set[int] = set()
    for item in (text or "").split(","):
        low, _, high = item.strip().partition("-")
        if low.isdigit():
            found.update(range(int(low), int(high if high.isdigit() else low) + 1))
    return found


def pick_channel(radio: int, band: str | None, current: int | None, used: set[int]) -> int:
    """The first non-overlapping channel of the band that is neither current nor in use."""
    band = band if band in CHANNELS else ("2.4GHz" if radio == 1 else "5GHz")
    free = [c for c in CHANNELS[band] if c != current and c not in used]
    if not free:
        raise ActionError(f"every {band} channel is in use around radio {radio}")
    return free[0]


async def _run_task(kernel: Kernel, device_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Queue a task as the API would (audited), ask the CPE to connect, wait for the task."""
    settings = kernel.plugin_settings(PLUGIN)
    ttl = float(settings.get("task_ttl_seconds", api.DEFAULT_TASK_TTL))
    task = tasks.create_task(kernel, device_id, body, actor=ACTOR, ttl=ttl)
    kernel.audit.record(
        actor=ACTOR,
        action="acs.tasks.create",
        target=f"device:{device_id}",
        params={"task": task.id, **body},
    )
    outcome = await _connect(kernel, device_id)
    wait = float(settings.get("action_wait_seconds", DEFAULT_WAIT_SECONDS))
    deadline = time.monotonic() + wait
    status, fault = task.status, None
    while outcome and status in ("pending", "running") and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        with kernel.db.session() as session:
            row = session.get(CpeTask, task.id)
            status, fault = (row.status, row.fault) if row else ("expired", None)
    if status == "fault":
        raise ActionError(f"the CPE refused task {task.id}: {fault}")
    if status == "expired":
        raise ActionError(f"task {task.id} expired before the CPE ran it")
    return {"task": task.id, "task_status": status, "connection_request": outcome}


async def _connect(kernel: Kernel, device_id: str) -> str:
    request = connreq.for_device(kernel, device_id)
    if request is None:
        return ""
    accepted = await Tr069Driver().request_connection(request.as_device())
    return "accepted" if accepted else ""


async def change_channel(kernel: Kernel, device_id: str, params: Mapping[str, Any]) -> Applied:
    """Set a radio's channel (``params["channel"]``, or a free one) and keep the old one."""
    radio = int(params.get("radio", 1))
    stored = _stored(kernel, device_id)
    root = names.root_of(stored)
    if root is None:
        raise ActionError("the CPE has not reported its data model yet")
    path = names.path(f"wifi.{radio}.channel", root)
    if path is None or path not in stored:
        raise ActionError(f"the CPE has no radio {radio}")
    current = stored.get(path)
    current_number = int(current) if current and current.isdigit() else None
    band_path = names.path(f"wifi.{radio}.band", root)
    band = stored.get(band_path) if band_path else None
    used = in_use(stored.get(names.RADIO_STATS["channels_in_use"].format(n=radio)))
    wanted = params.get("channel")
    channel = int(wanted) if wanted else pick_channel(radio, band, current_number, used)
    details = await _run_task(
        kernel, device_id, {"type": "set_parameter_values", "values": {path: channel}}
    )
    return Applied({path: current}, {**details, "channel": channel, "from": current_number})


async def restore_values(kernel: Kernel, device_id: str, previous: Mapping[str, Any]) -> Applied:
    """Write back the values an action replaced."""
    values = {path: int(v) if str(v).isdigit() else v for path, v in previous.items()}
    details = await _run_task(kernel, device_id, {"type": "set_parameter_values", "values": values})
    return Applied(details={**details, "restored": values})


async def reboot(kernel: Kernel, device_id: str, params: Mapping[str, Any]) -> Applied:
    """Reboot the CPE (nothing to roll back)."""
    return Applied(details=await _run_task(kernel, device_id, {"type": "reboot"}))


async def reprovision(kernel: Kernel, device_id: str, params: Mapping[str, Any]) -> Applied:
    """Run the device's on-demand profiles again at its next session (asked for at once)."""
    from rjchronos_acs_tr069.profiles import ProvisionRequest

    with kernel.db.session() as session:
        row = session.get(ProvisionRequest, device_id) or ProvisionRequest(device_id=device_id)
        row.requested_by, row.requested_at = ACTOR, utcnow()
        session.add(row)
    work_queued()
    kernel.audit.record(actor=ACTOR, action="acs.provision", target=f"device:{device_id}")
    return Applied(details={"connection_request": await _connect(kernel, device_id)})


def executors() -> list[ActionExecutor]:
    cpe = ("cpe",)
    return [
        ActionExecutor(
            "wifi.change_channel",
            texts("Change the Wi-Fi channel", "Trocar o canal do Wi-Fi"),
            change_channel,
            restore_values,
            cpe,
        ),
        ActionExecutor("cpe.reboot", texts("Reboot the CPE", "Reiniciar a CPE"), reboot, None, cpe),
        ActionExecutor(
            "cpe.reprovision",
            texts("Provision the CPE again", "Reprovisionar a CPE"),
            reprovision,
            None,
            cpe,
        ),
    ]
