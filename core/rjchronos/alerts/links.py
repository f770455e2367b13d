"""Main-link monitoring: TCP probes to configured targets; a target down is a ``link`` incident.

A target is down when every one of ``link_probe_attempts`` connection attempts
fails within ``link_probe_timeout_seconds``; it then gets one open incident
(operators are told once) until a probe succeeds again, which resolves it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from rjchronos.alerts import outages
from rjchronos.alerts.models import Incident, incidents
from rjchronos.db.types import utcnow

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

JOB_TYPE = "alerts.probe_links"
SETTINGS_PROPERTIES: dict[str, Any] = {
    "main_links": {
        "type": "array",
        "description": "uplinks and main routes to probe over TCP",
        "items": {
            "type": "object",
            "required": ["name", "host", "port"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 120},
                "host": {"type": "string", "minLength": 1, "maxLength": 255},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "device_id": {"type": "string", "description": "the uplink's device, if any"},
            },
        },
    },
    "link_probe_seconds": {"type": "integer", "minimum": 5, "default": 30},
    "link_probe_attempts": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3},
    "link_probe_timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "default": 2.0},
}


async def reachable(host: str, port: int, attempts: int, timeout: float) -> str:
    """An empty string when a TCP connection opens, else the last error."""
    error = ""
    for attempt in range(attempts):
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except (OSError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if attempt + 1 < attempts:
                await asyncio.sleep(min(0.5, timeout))
            continue
        writer.close()
        await writer.wait_closed()
        return ""
    return error


async def probe_all(kernel: Kernel, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Probe every configured link; open or resolve their incidents."""
    settings = {**outages.DEFAULTS, **kernel.plugin_settings(outages.PLUGIN)}
    links = list(settings.get("main_links", []))
    attempts = int(settings.get("link_probe_attempts", 3))
    timeout = float(settings.get("link_probe_timeout_seconds", 2.0))
    errors = await asyncio.gather(
        *(reachable(link["host"], int(link["port"]), attempts, timeout) for link in links)
    )
    down: list[str] = []
    for link, error in zip(links, errors, strict=True):
        if error:
            down.append(link["name"])
        await asyncio.to_thread(_record, kernel, link, error)
    return {"links": len(links), "down": down}


def _open_for(kernel: Kernel, name: str) -> Incident | None:
    with kernel.db.session() as session:
        for incident in session.execute(
            select(Incident).where(incidents.c.status == "open", incidents.c.kind == "link")
        ).scalars():
            if incident.element_name == name:
                session.expunge(incident)
                return incident
    return None


def _record(kernel: Kernel, link: Mapping[str, Any], error: str) -> None:
    current = _open_for(kernel, link["name"])
    if not error:
        if current is not None:
            with contextlib.suppress(ValueError):  # resolved meanwhile
                outages.resolve(kernel, current.id, outages.SYSTEM)
        return
    if current is not None:
        return
    now = utcnow()
    with kernel.db.session() as session:
        incident = Incident(
            kind="link",
            title=f"Main link {link['name']} down ({link['host']}:{link['port']})",
            element_id=link.get("device_id"),
            element_kind="link",
            element_name=link["name"],
            details={"host": link["host"], "port": link["port"], "error": error},
            first_event_at=now,
            detected_at=now,
        )
        session.add(incident)
        session.flush()
        kernel.events.emit(
            "incident.opened",
            incident.element_id,
            {"incident_id": incident.id, "kind": "link"},
            actor=outages.SYSTEM,
            session=session,
        )
        session.commit()
        session.refresh(incident)
        session.expunge(incident)
    kernel.audit.record(
        actor=outages.SYSTEM,
        action="incident.opened",
        target=f"incident:{incident.id}",
        params={"link": link["name"], "error": error},
    )
    outages.notify_operators(kernel, incident, "incident.opened")
