"""Ranked likely causes of a device's or an incident's trouble, with the evidence behind each.

Every rule (the built-ins of :mod:`rjchronos.ai.rules` and those plugins
declare through ``rjc_diagnosis_rules``) looks at the device; their causes are
ranked by score. A rule that fails is reported by name, never hides the others.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rjchronos.ai.context import DiagnosedDevice, DiagnosisContext, load_devices
from rjchronos.ai.contracts import Cause, DiagnosisRule, texts
from rjchronos.db.types import utcnow

if TYPE_CHECKING:
    from rjchronos.ai.scoring import ScanScoring
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
#: An incident's diagnosis looks at this many of its devices at most.
INCIDENT_DEVICES = 50


def diagnosis_rules(kernel: Kernel) -> list[tuple[str, DiagnosisRule]]:
    """Every declared rule with its plugin; a name declared twice is an error naming both."""
    found: dict[str, tuple[str, DiagnosisRule]] = {}
    for plugin, declared in kernel.host.results_with_plugins("rjc_diagnosis_rules", kernel=kernel):
        for rule in declared:
            if not isinstance(rule, DiagnosisRule):
                raise TypeError(f"plugin {plugin}: rjc_diagnosis_rules returned {rule!r}")
            if rule.name in found:
                raise ValueError(
                    f"diagnosis rule {rule.name!r} is declared by {found[rule.name][0]} and "
                    f"{plugin}"
                )
            found[rule.name] = (plugin, rule)
    return list(found.values())


def render_cause(cause: Cause, rule: str) -> dict[str, Any]:
    return {
        "cause": cause.cause,
        "score": round(cause.score, 3),
        "rule": rule,
        "title": dict(cause.title),
        "evidence": dict(cause.evidence),
        "facts": dict(cause.facts),
        "actions": [
            {
                "kind": action.kind,
                "params": dict(action.params),
                "verify": action.verify.as_dict() if action.verify else None,
            }
            for action in cause.actions
        ],
    }


def causes_for(
    kernel: Kernel,
    device: DiagnosedDevice,
    now: datetime | None = None,
    rules: list[tuple[str, DiagnosisRule]] | None = None,
    scoring: ScanScoring | None = None,
) -> tuple[list[tuple[Cause, str]], list[dict[str, str]]]:
    """The causes every rule finds for ``device``, best first, and the rules that failed.

    :param rules: :func:`diagnosis_rules` when already collected (a scan of many devices).
    :param scoring: a scan's kept models and budget for the analyzers.
    """
    context = DiagnosisContext(kernel, device, now or utcnow(), scoring)
    found: list[tuple[Cause, str]] = []
    failed: list[dict[str, str]] = []
    for plugin, rule in rules if rules is not None else diagnosis_rules(kernel):
        if rule.kinds and device.kind not in rule.kinds:
            continue
        try:
            found.extend((cause, rule.name) for cause in rule.evaluate(context))
        except Exception as exc:
            log.exception("diagnosis rule %s of %s failed on %s", rule.name, plugin, device.id)
            failed.append(
                {"rule": rule.name, "plugin": plugin, "error": f"{type(exc).__name__}: {exc}"}
            )
    found.sort(key=lambda pair: (-pair[0].score, pair[0].cause))
    return found, failed


def diagnose_device(kernel: Kernel, device_id: str, now: datetime | None = None) -> dict[str, Any]:
    """A device's ranked causes. :raises LookupError: when there is no such device."""
    device = load_devices(kernel, [device_id]).get(device_id)
    if device is None:
        raise LookupError(device_id)
    causes, failed = causes_for(kernel, device, now)
    return {
        "device_id": device.id,
        "device": {"name": device.name, "kind": device.kind, "status": device.status},
        "items": [render_cause(cause, rule) for cause, rule in causes],
        "failed_rules": failed,
        "at": (now or utcnow()).isoformat(),
    }


def _incident_prior(incident: Any, down: int, total: int) -> Cause | None:
    """The cause the outage correlation already found (fiber route, power, main link)."""
    where = incident.element_name or incident.element_kind or "?"
    share = down / total if total else 1.0
    if incident.kind == "fiber":
        return Cause(
            "fiber_cut",
            min(0.95, 0.6 + 0.35 * share),
            texts("Fiber cut upstream of the splitter", "Rompimento de fibra antes do splitter"),
            texts(
                f"{down} of {total} devices under {where} lost signal at once: fiber cut upstream "
                "of the splitter",
                f"{down} de {total} dispositivos sob {where} perderam sinal ao mesmo tempo: "
                "rompimento de fibra antes do splitter",
            ),
        )
    if incident.kind == "power":
        return Cause(
            "area_power_outage",
            min(0.95, 0.55 + 0.4 * share),
            texts("Power outage in the area", "Queda de energia na região"),
            texts(
                f"{down} of {total} devices under {where} sent a dying gasp: power outage in the "
                "area",
                f"{down} de {total} dispositivos sob {where} enviaram dying gasp: queda de "
                "energia na região",
            ),
        )
    if incident.kind == "link":
        return Cause(
            "main_link_down",
            0.9,
            texts("Main link down", "Link principal fora"),
            texts(
                f"the main link {where} stopped answering",
                f"o link principal {where} parou de responder",
            ),
        )
    return None


def _combined(per_device: Iterable[list[dict[str, Any]]], total: int) -> list[dict[str, Any]]:
    """Causes across an incident's devices: mean score weighted by the share that shows it."""
    by_cause: dict[str, list[dict[str, Any]]] = {}
    for causes in per_device:
        for cause in causes:
            by_cause.setdefault(cause["cause"], []).append(cause)
    combined = []
    for seen in by_cause.values():
        mean = sum(c["score"] for c in seen) / len(seen)
        best = max(seen, key=lambda c: c["score"])
        combined.append(
            {
                **best,
                "score": round(mean * (len(seen) / total) ** 0.5, 3),
                "devices": len(seen),
            }
        )
    return combined


def diagnose_incident(
    kernel: Kernel, incident_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """An incident's ranked causes, from its correlation and its devices' diagnoses.

    :raises LookupError: when there is no such incident.
    """
    from rjchronos.alerts.models import Incident

    with kernel.db.session() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise LookupError(incident_id)
        session.expunge(incident)
    ids = list(dict.fromkeys([*incident.down_ids, *incident.device_ids]))[:INCIDENT_DEVICES]
    known = load_devices(kernel, ids)
    devices: list[dict[str, Any]] = []
    for device_id in ids:
        if device_id not in known:
            continue
        causes, _ = causes_for(kernel, known[device_id], now)
        devices.append(
            {
                "device_id": device_id,
                "name": known[device_id].name,
                "causes": [render_cause(c, r) for c, r in causes[:3]],
            }
        )
    total = max(len(devices), 1)
    ranked = _combined((d["causes"] for d in devices), total)
    prior = _incident_prior(incident, len(incident.down_ids), len(incident.device_ids))
    if prior is not None:
        rendered = {**render_cause(prior, "incident"), "devices": len(incident.down_ids)}
        ranked = [c for c in ranked if c["cause"] != prior.cause or c["score"] > prior.score]
        if all(c["cause"] != prior.cause for c in ranked):
            ranked.append(rendered)
    ranked.sort(key=lambda c: (-c["score"], c["cause"]))
    return {
        "incident_id": incident.id,
        "incident": {"kind": incident.kind, "status": incident.status, "title": incident.title},
        "items": ranked,
        "devices": devices,
        "at": (now or utcnow()).isoformat(),
    }
