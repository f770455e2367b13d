"""Telemetry over many devices grouped by where they sit: OLT, PON, region, neighbourhood,
model; firmware shares.

The groups come from the inventory topology: ``olt_id`` for the OLT, the
nearest ``pon`` above a device for the PON (through splitters and, for a CPE,
its ONU), the region of the device's site or else of its OLT's site, the
neighbourhood of the device's site or else of its customer's (the
installation address), and the vendor and model. The values come from the
store's per-entity summaries, so a group's mean is the mean of its samples (a
device that reports twice as often weighs twice as much) and its minimum and
maximum are the extremes of any sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from rjchronos.customers.models import Customer
from rjchronos.inventory.models import devices, sites
from rjchronos.inventory.queries import Scopes, scope_condition
from rjchronos.telemetry.store import Summary, TelemetryStore, percentile

GroupBy = Literal["olt", "pon", "region", "neighbourhood", "model", "firmware"]
GROUPINGS: tuple[str, ...] = ("olt", "pon", "region", "neighbourhood", "model", "firmware")
#: The group of devices the grouping finds nothing for (no OLT, no PON above, no region).
NONE_KEY = ""


@dataclass(frozen=True)
class Member:
    """A device and the group it falls in."""

    device_id: str
    key: str
    label: str


customers = Customer.__table__  # type: ignore[attr-defined]


def neighbourhood_key(neighbourhood: str | None, city: str | None) -> str:
    """A neighbourhood's group key: its name, with the city when known (two cities may
    each have a ``Centro``)."""
    if not neighbourhood:
        return NONE_KEY
    return f"{neighbourhood}, {city}" if city else neighbourhood


def members(
    session: Session, group_by: str, kind: str, scopes: Scopes, *, status: str | None = None
) -> list[Member]:
    """The devices of ``kind`` (and ``status``, when given) that ``scopes`` allow, each with
    its group."""
    if group_by == "neighbourhood":
        return _neighbourhood_members(session, kind, scopes, status)
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
    if status is not None:
        statement = statement.where(d.status == status)
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


def _neighbourhood_members(
    session: Session, kind: str, scopes: Scopes, status: str | None
) -> list[Member]:
    """Devices by the neighbourhood of their own site, else of their customer's site."""
    d = devices.c
    own_site, home_site = aliased(sites), aliased(sites)
    has_own = func.coalesce(own_site.c.neighbourhood, "") != ""
    statement = (
        select(
            d.id,
            case((has_own, own_site.c.neighbourhood), else_=home_site.c.neighbourhood),
            case((has_own, own_site.c.city), else_=home_site.c.city),
        )
        .select_from(devices)
        .outerjoin(own_site, own_site.c.id == d.site_id)
        .outerjoin(customers, customers.c.id == d.customer_id)
        .outerjoin(home_site, home_site.c.id == customers.c.site_id)
        .where(d.kind == kind)
        .order_by(d.id)
    )
    if status is not None:
        statement = statement.where(d.status == status)
    condition = scope_condition(scopes)
    if condition is not None:
        statement = statement.where(condition)
    found: list[Member] = []
    for device_id, neighbourhood, city in session.execute(statement):
        key = neighbourhood_key(neighbourhood, city)
        found.append(Member(device_id, key, key))
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
    percentiles: tuple[float, ...] = (),
    *,
    sample_limit: int = 1_000_000,
) -> list[dict[str, Any]]:
    """Per group: devices, devices reporting, devices with a non-zero sample, samples, sum,
    mean, minimum and maximum of ``metric``; and the ``percentiles`` of its raw samples.

    :raise TooManySamples: percentiles asked over more than ``sample_limit`` samples.
    """
    ids = [m.device_id for m in group]
    summaries = store.summaries(ids, metric, start, end)
    raw = store.values(ids, metric, start, end, limit=sample_limit) if percentiles else {}
    totals: dict[str, Summary] = {}
    counts: dict[str, list[Any]] = {}
    pooled: dict[str, list[float]] = {}
    for member in group:
        entry = counts.setdefault(member.key, [member.label, 0, 0, 0])
        entry[1] += 1
        summary = summaries.get(member.device_id)
        if summary is None:
            continue
        entry[2] += 1
        entry[3] += summary.minimum != 0 or summary.maximum != 0
        totals[member.key] = totals[member.key] + summary if member.key in totals else summary
        pooled.setdefault(member.key, []).extend(raw.get(member.device_id, ()))
    return [
        {
            "key": key,
            "label": label,
            "devices": devices_in,
            "reporting": reporting,
            "nonzero": nonzero,
            **_values(totals.get(key)),
            **_percentiles(sorted(pooled.get(key, ())), percentiles),
        }
        for key, (label, devices_in, reporting, nonzero) in sorted(counts.items())
    ]


def _values(summary: Summary | None) -> Mapping[str, Any]:
    if summary is None:
        return {"samples": 0, "sum": 0.0, "avg": None, "min": None, "max": None}
    return {
        "samples": summary.count,
        "sum": summary.total,
        "avg": summary.mean,
        "min": summary.minimum,
        "max": summary.maximum,
    }


def percentile_name(percent: float) -> str:
    """The answer's field of a percentile: ``p95``, ``p99.9``."""
    return f"p{percent:g}"


def _percentiles(ordered: list[float], percentiles: tuple[float, ...]) -> dict[str, Any]:
    return {percentile_name(p): percentile(ordered, p) if ordered else None for p in percentiles}


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
