"""Telemetry over many devices grouped by where they sit: OLT, PON, region, model; firmware shares.

The groups come from the inventory topology: ``olt_id`` for the OLT, the
nearest ``pon`` above a device for the PON (through splitters and, for a CPE,
its ONU), the region of the device's site or else of its OLT's site, and the
vendor and model. The values come from the store's per-entity summaries,
so a group's mean is the mean of its samples (a device that reports twice as
often weighs twice as much) and its minimum and maximum are the extremes of
any sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from rjchronos.inventory.models import devices, sites
from rjchronos.inventory.queries import Scopes, scope_condition
from rjchronos.telemetry.store import Summary, TelemetryStore

GroupBy = Literal["olt", "pon", "region", "model", "firmware"]
GROUPINGS: tuple[str, ...] = ("olt", "pon", "region", "model", "firmware")
#: The group of devices the grouping finds nothing for (no OLT, no PON above, no region).
NONE_KEY = ""


@dataclass(frozen=True)
class Member:
    """A device and the group it falls in."""

    device_id: str
    key: str
    label: str


def members(session: Session, group_by: str, kind: str, scopes: Scopes) -> list[Member]:
    """The devices of ``kind`` that ``scopes`` allow, each with its group."""
    d = devices.c
    olt = aliased(devices)
    own_site, olt_site = aliased(sites), aliased(sites)
    statement = (
        select(
            d.id,
            d.parent_id,
            d.olt_id,
            d.vendor,
            d.model,
            d.firmware,
            olt.c.name,
            func.coalesce(func.nullif(own_site.c.region, ""), olt_site.c.region),
        )
        .select_from(devices)
        .outerjoin(olt, olt.c.id == d.olt_id)
        .outerjoin(own_site, own_site.c.id == d.site_id)
        .outerjoin(olt_site, olt_site.c.id == olt.c.site_id)
        .where(d.kind == kind)
        .order_by(d.id)
    )
    condition = scope_condition(scopes)
    if condition is not None:
        statement = statement.where(condition)
    rows = session.execute(statement).all()
    if group_by == "pon":
        pons = _pons_above(session, {row[1] for row in rows if row[1]})
    found: list[Member] = []
    for device_id, parent_id, olt_id, vendor, model, firmware, olt_name, region in rows:
        if group_by == "olt":
            key, label = olt_id or NONE_KEY, olt_name or ""
        elif group_by == "pon":
            key, label = pons.get(parent_id, (NONE_KEY, "")) if parent_id else (NONE_KEY, "")
        elif group_by == "region":
            key = label = region or NONE_KEY
        elif group_by == "model":
            key = label = f"{vendor} {model}".strip()
        else:
            key = label = firmware or NONE_KEY
        found.append(Member(device_id, key, label))
    return found


def _pons_above(session: Session, parents: set[str]) -> dict[str, tuple[str, str]]:
    """For each of ``parents``, the nearest PON at or above it: ``(id, name)``."""
    d = devices.c
    nodes: dict[str, tuple[str | None, str, str]] = {}  # id -> (parent, kind, name)
    wanted = set(parents)
    for _ in range(16):  # PON > splitters > ONU > CPE is a few levels; bounded anyway
        wanted -= set(nodes)
        if not wanted:
            break
        ids = sorted(wanted)
        for offset in range(0, len(ids), 1000):
            statement = select(d.id, d.parent_id, d.kind, d.name).where(
                d.id.in_(ids[offset : offset + 1000])
            )
            for node_id, parent_id, kind, name in session.execute(statement):
                nodes[node_id] = (parent_id, kind, name)
        wanted = {p for p, kind, _ in nodes.values() if p and kind != "pon"}
    found: dict[str, tuple[str, str]] = {}
    for start in parents:
        node: str | None = start
        for _ in range(16):
            if node is None or node not in nodes:
                break
            parent_id, kind, name = nodes[node]
            if kind == "pon":
                found[start] = (node, name)
                break
            node = parent_id
    return found


def metric_groups(
    store: TelemetryStore,
    group: list[Member],
    metric: str,
    start: datetime,
    end: datetime,
) -> list[dict[str, Any]]:
    """Per group: devices, devices reporting, samples, mean, minimum and maximum of ``metric``."""
    summaries = store.summaries([m.device_id for m in group], metric, start, end)
    totals: dict[str, Summary] = {}
    counts: dict[str, list[Any]] = {}
    for member in group:
        entry = counts.setdefault(member.key, [member.label, 0, 0])
        entry[1] += 1
        summary = summaries.get(member.device_id)
        if summary is None:
            continue
        entry[2] += 1
        totals[member.key] = totals[member.key] + summary if member.key in totals else summary
    return [
        {
            "key": key,
            "label": label,
            "devices": devices_in,
            "reporting": reporting,
            **_values(totals.get(key)),
        }
        for key, (label, devices_in, reporting) in sorted(counts.items())
    ]


def _values(summary: Summary | None) -> Mapping[str, Any]:
    if summary is None:
        return {"samples": 0, "avg": None, "min": None, "max": None}
    return {
        "samples": summary.count,
        "avg": summary.mean,
        "min": summary.minimum,
        "max": summary.maximum,
    }


def shares(group: list[Member]) -> list[dict[str, Any]]:
    """Per group: how many devices, and their share of all."""
    counts: dict[str, int] = {}
    for member in group:
        counts[member.key] = counts.get(member.key, 0) + 1
    total = len(group)
    return [
        {"key": key, "label": key, "devices": n, "share": n / total}
        for key, n in sorted(counts.items())
    ]
