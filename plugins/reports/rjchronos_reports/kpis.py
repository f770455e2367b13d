"""Every KPI of a period, computed from what core and the other plugins store.

| KPI | Source |
| --- | --- |
| availability (customer, PON, OLT, region, network) | the ``device.status_changed`` timeline |
| SLA breaches | customers' availability against their plan's ``sla_availability_percent`` |
| incidents and MTTR per region | ``incidents`` (``detected_at``, ``recovered_at``) |
| devices online/offline over time | the timeline, sampled at regular instants |
| signal quality | telemetry: each ONU's mean Rx over the period |
| firmware | inventory: devices per kind, vendor, model and firmware |
| reboots | ``cpe.boot`` events |
| PPPoE/DHCP/WAN errors | counter metrics' increase over the period, and error events |
| AI suggestions | ``rjchronos.ai.actions.stats``: suggested in the period, applied, outcomes |
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from rjchronos.alerts.models import incidents
from rjchronos.customers.models import Customer, Plan
from rjchronos.inventory.models import device_events, devices, sites
from rjchronos.telemetry.aggregates import members
from rjchronos_reports.timeline import (
    DOWN,
    UP,
    Timeline,
    availability,
    combined_seconds,
    timelines,
)

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

customers = cast(Table, cast(Any, Customer).__table__)
plans = cast(Table, cast(Any, Plan).__table__)
ACCESS_KINDS = ("onu", "cpe")
#: Edges of the Rx histogram, in dBm; the first and last bins are open.
RX_EDGES = tuple(float(edge) for edge in range(-32, -11, 2))
UNRESTRICTED = (None,)


#: The parts of ``compute``'s answer, which a caller may limit it to.
SECTIONS = (
    "availability",
    "sla",
    "incidents",
    "devices_over_time",
    "firmware",
    "reboots",
    "errors",
    "signal",
    "ai_suggestions",
)


def compute(
    kernel: Kernel, start: datetime, end: datetime, sections: Collection[str] | None = None
) -> dict[str, Any]:
    """Every KPI over ``[start, end)``, as JSON-able values; only ``sections`` (and ``period``)
    when given, which skips the work of the others."""
    if end <= start:
        raise ValueError("the period must end after it starts")
    wanted = set(SECTIONS if sections is None else sections)
    settings = kernel.plugin_settings("reports")
    result: dict[str, Any] = {
        "period": {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "seconds": (end - start).total_seconds(),
        }
    }
    with kernel.db.session() as session:
        if wanted & {"availability", "sla", "devices_over_time"}:
            access_ids = [
                row[0]
                for row in session.execute(
                    select(devices.c.id)
                    .where(devices.c.kind.in_(ACCESS_KINDS))
                    .order_by(devices.c.id)
                )
            ]
            lines = timelines(session, access_ids, start, end)
        if wanted & {"availability", "sla"}:
            found = _availability(session, lines, start, end)
            if "availability" in wanted:
                result["availability"] = found
            if "sla" in wanted:
                result["sla"] = _sla(session, found["customers"], settings)
        if "incidents" in wanted:
            result["incidents"] = _incidents(session, start, end)
        if "devices_over_time" in wanted:
            result["devices_over_time"] = _over_time(session, lines, start, end)
        if "firmware" in wanted:
            result["firmware"] = _firmware(session)
        if "reboots" in wanted:
            result["reboots"] = _event_counts(session, ("cpe.boot",), start, end)
        if "errors" in wanted:
            result["errors"] = {
                "events": _event_counts(session, tuple(settings["error_events"]), start, end),
                "metrics": _counter_increase(
                    kernel, session, settings["error_metrics"], start, end
                ),
            }
        if "signal" in wanted:
            onus = [m.device_id for m in members(session, "olt", "onu", UNRESTRICTED)]
    if "signal" in wanted:
        result["signal"] = _signal(kernel, onus, settings, start, end)
    if "ai_suggestions" in wanted:
        result["ai_suggestions"] = _ai_suggestions(kernel, start, end)
    return result


def _ai_suggestions(kernel: Kernel, start: datetime, end: datetime) -> dict[str, Any] | None:
    """Suggestions of the period, how many were applied and how they ended; ``None`` when
    none was recorded (or the AI built-in is blocked)."""
    record = kernel.host.records.get("builtin.ai")
    if record is None or record.state != "loaded":
        return None
    from rjchronos.ai.actions import stats

    total = stats(kernel, start, end)["total"]
    if not total["suggested"]:
        return None
    return {
        "suggested": total["suggested"],
        "applied": total["executed"],
        "succeeded": total["succeeded"],
        "failed": total["failed"],
        "rolled_back": total["rolled_back"],
        "success_rate_percent": (
            None if total["success_rate"] is None else round(100 * total["success_rate"], 1)
        ),
    }


# -- availability ----------------------------------------------------------------


def _group_rows(
    lines: Mapping[str, Timeline],
    groups: Mapping[tuple[str, str], list[str]],
    start: datetime,
    end: datetime,
) -> list[dict[str, Any]]:
    """Device-time availability of each group: the members' up time over their measured time."""
    rows = []
    for (key, label), ids in sorted(groups.items(), key=lambda item: item[0][1] or item[0][0]):
        up = down = 0.0
        for device_id in ids:
            if device_id in lines:
                u, d = lines[device_id].seconds(start, end)
                up, down = up + u, down + d
        rows.append(
            {
                "id": key,
                "name": label,
                "devices": len(ids),
                "up_seconds": round(up, 3),
                "down_seconds": round(down, 3),
                "availability_percent": availability(up, down),
            }
        )
    return rows


def _availability(
    session: Session, lines: Mapping[str, Timeline], start: datetime, end: datetime
) -> dict[str, Any]:
    found: dict[str, Any] = {"source": "device.status_changed"}
    for group_by, name in (("pon", "pons"), ("olt", "olts"), ("region", "regions")):
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for member in members(session, group_by, "onu", UNRESTRICTED):
            if member.key:
                groups[(member.key, member.label)].append(member.device_id)
        found[name] = _group_rows(lines, groups, start, end)
    onus = [m.device_id for m in members(session, "olt", "onu", UNRESTRICTED)]
    found["network"] = _group_rows(lines, {("onu", "ONUs"): onus}, start, end)[0]
    found["customers"] = _customers(session, lines, start, end)
    return found


def _customers(
    session: Session, lines: Mapping[str, Timeline], start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Each customer's service: its ONUs (its CPEs when it has none), down while any is."""
    owned: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    rows = session.execute(
        select(devices.c.customer_id, devices.c.kind, devices.c.id).where(
            devices.c.customer_id.is_not(None), devices.c.kind.in_(ACCESS_KINDS)
        )
    )
    for customer_id, kind, device_id in rows:
        owned[customer_id][kind].append(device_id)
    c, p = customers.c, plans.c
    statement = (
        select(c.id, c.name, c.status, p.name, p.sla_availability_percent)
        .select_from(customers)
        .outerjoin(plans, p.id == c.plan_id)
        .order_by(c.name, c.id)
    )
    found = []
    # Every customer is read and those without devices skipped: an IN list of tens of
    # thousands of ids would exceed SQLite's bound on parameters.
    for customer_id, name, status, plan, target in session.execute(statement):
        if customer_id not in owned:
            continue
        kinds = owned[customer_id]
        ids = kinds.get("onu") or kinds.get("cpe") or []
        up, down = combined_seconds([lines[i] for i in ids if i in lines], start, end)
        found.append(
            {
                "id": customer_id,
                "name": name,
                "status": status,
                "plan": plan,
                "target_percent": target,
                "devices": len(ids),
                "up_seconds": round(up, 3),
                "down_seconds": round(down, 3),
                "availability_percent": availability(up, down),
            }
        )
    return found


def _sla(
    session: Session, customers: Sequence[Mapping[str, Any]], settings: Mapping[str, Any]
) -> dict[str, Any]:
    default = settings.get("default_sla_percent")
    breaches, measured = [], 0
    for row in customers:
        target = row["target_percent"] if row["target_percent"] is not None else default
        value = row["availability_percent"]
        if target is None or value is None:
            continue
        measured += 1
        if value < target:
            breaches.append(
                {
                    "customer_id": row["id"],
                    "customer": row["name"],
                    "plan": row["plan"],
                    "target_percent": target,
                    "availability_percent": value,
                    "shortfall_percent": round(target - value, 4),
                    "down_seconds": row["down_seconds"],
                }
            )
    breaches.sort(key=lambda b: (-b["shortfall_percent"], b["customer"]))
    return {
        "customers_with_target": measured,
        "met": measured - len(breaches),
        "breached": len(breaches),
        "breaches": breaches,
    }


# -- incidents -------------------------------------------------------------------


def _incidents(session: Session, start: datetime, end: datetime) -> dict[str, Any]:
    """Incidents detected in the period per region of their element; MTTR of the recovered."""
    i, element, olt = incidents.c, aliased(devices), aliased(devices)
    own_site, olt_site = aliased(sites), aliased(sites)
    region = func.coalesce(func.nullif(own_site.c.region, ""), olt_site.c.region, "")
    statement = (
        select(i.kind, i.detected_at, i.recovered_at, region)
        .select_from(incidents)
        .outerjoin(element, element.c.id == i.element_id)
        .outerjoin(olt, olt.c.id == element.c.olt_id)
        .outerjoin(own_site, own_site.c.id == element.c.site_id)
        .outerjoin(olt_site, olt_site.c.id == olt.c.site_id)
        .where(i.detected_at >= start, i.detected_at < end)
    )
    per_region: dict[str, dict[str, Any]] = {}
    all_recoveries: list[float] = []
    kinds: Counter[str] = Counter()
    for kind, detected, recovered, where in session.execute(statement):
        row = per_region.setdefault(
            where or "", {"region": where or "", "incidents": 0, "recovered": 0, "_ttr": []}
        )
        row["incidents"] += 1
        kinds[kind] += 1
        if recovered is not None:
            row["recovered"] += 1
            seconds = (recovered - detected).total_seconds()
            row["_ttr"].append(seconds)
            all_recoveries.append(seconds)
    regions = []
    for key in sorted(per_region):
        row = per_region[key]
        ttr = row.pop("_ttr")
        row["mttr_seconds"] = round(sum(ttr) / len(ttr), 3) if ttr else None
        regions.append(row)
    return {
        "total": sum(kinds.values()),
        "by_kind": dict(sorted(kinds.items())),
        "recovered": len(all_recoveries),
        "mttr_seconds": round(sum(all_recoveries) / len(all_recoveries), 3)
        if all_recoveries
        else None,
        "regions": regions,
    }


# -- devices over time -----------------------------------------------------------


def bucket_for(start: datetime, end: datetime) -> timedelta:
    """Hourly up to two days, every six hours up to two weeks, daily beyond."""
    span = end - start
    if span <= timedelta(days=2):
        return timedelta(hours=1)
    if span <= timedelta(days=14):
        return timedelta(hours=6)
    return timedelta(days=1)


def _over_time(
    session: Session, lines: Mapping[str, Timeline], start: datetime, end: datetime
) -> dict[str, Any]:
    step = bucket_for(start, end)
    instants, when = [], start
    while when < end:
        instants.append(when)
        when += step
    points = []
    for instant in instants:
        states = [line.status_at(instant) for line in lines.values()]
        points.append(
            {
                "time": instant.isoformat(),
                "online": sum(s in UP for s in states),
                "offline": sum(s in DOWN for s in states),
            }
        )
    return {"kinds": list(ACCESS_KINDS), "step_seconds": step.total_seconds(), "points": points}


# -- inventory, events, telemetry ------------------------------------------------


def _firmware(session: Session) -> list[dict[str, Any]]:
    d = devices.c
    statement = (
        select(d.kind, d.vendor, d.model, d.firmware, func.count())
        .where(d.kind.in_(ACCESS_KINDS))
        .group_by(d.kind, d.vendor, d.model, d.firmware)
        .order_by(func.count().desc(), d.kind, d.vendor, d.model, d.firmware)
    )
    return [
        {"kind": kind, "vendor": vendor, "model": model, "firmware": firmware, "devices": count}
        for kind, vendor, model, firmware, count in session.execute(statement)
    ]


def _event_counts(
    session: Session, types: Sequence[str], start: datetime, end: datetime
) -> dict[str, Any]:
    """How many events of ``types`` in the period, per type and for the ten busiest devices."""
    e = device_events.c
    if not types:
        return {"total": 0, "by_type": {}, "devices": 0, "top": []}
    where = (e.type.in_(types), e.time >= start, e.time < end)
    by_type = dict(
        session.execute(select(e.type, func.count()).where(*where).group_by(e.type)).all()
    )
    per_device = session.execute(
        select(e.device_id, devices.c.name, devices.c.serial, func.count())
        .select_from(device_events)
        .outerjoin(devices, devices.c.id == e.device_id)
        .where(*where)
        .group_by(e.device_id, devices.c.name, devices.c.serial)
        .order_by(func.count().desc(), e.device_id)
    ).all()
    return {
        "total": sum(by_type.values()),
        "by_type": {t: int(by_type.get(t, 0)) for t in types},
        "devices": len(per_device),
        "top": [
            {"device_id": i, "name": n or "", "serial": s or "", "count": c}
            for i, n, s, c in per_device[:10]
        ],
    }


def _counter_increase(
    kernel: Kernel, session: Session, metrics: Sequence[str], start: datetime, end: datetime
) -> dict[str, Any]:
    """Per counter metric: its rise over the period (maximum minus minimum) summed over devices.

    A counter that resets (a reboot) within the period is under-counted.
    """
    ids = [
        row[0]
        for row in session.execute(select(devices.c.id).where(devices.c.kind.in_(ACCESS_KINDS)))
    ]
    found = {}
    for metric in metrics:
        summaries = kernel.telemetry.summaries(ids, metric, start, end)
        found[metric] = {
            "devices": len(summaries),
            "total": round(sum(s.maximum - s.minimum for s in summaries.values()), 3),
        }
    return found


def _signal(
    kernel: Kernel, onus: Sequence[str], settings: Mapping[str, Any], start: datetime, end: datetime
) -> dict[str, Any]:
    """ONUs by their mean Rx over the period: a histogram and good/warning/critical counts."""
    means: dict[str, float] = {}
    for metric in settings["signal_metrics"]:
        # The first metric an ONU reports wins (collectors and imports name Rx differently).
        missing = [o for o in onus if o not in means]
        means.update(kernel.telemetry.averages(missing, metric, start, end))
    edges = RX_EDGES
    labels = [f"< {edges[0]:g}"]
    labels += [f"{lo:g} .. {hi:g}" for lo, hi in pairwise(edges)]
    labels.append(f">= {edges[-1]:g}")
    counts = [0] * (len(edges) + 1)
    for value in means.values():
        counts[sum(value >= edge for edge in edges)] += 1
    good, critical = float(settings["signal_good_dbm"]), float(settings["signal_critical_dbm"])
    return {
        "metrics": list(settings["signal_metrics"]),
        "onus": len(means),
        "bins": [
            {"range": label, "onus": count} for label, count in zip(labels, counts, strict=True)
        ],
        "good": sum(v >= good for v in means.values()),
        "warning": sum(critical <= v < good for v in means.values()),
        "critical": sum(v < critical for v in means.values()),
        "mean_dbm": round(sum(means.values()) / len(means), 3) if means else None,
    }
