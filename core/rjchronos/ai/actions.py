"""Suggested and executed actions: policy, execution, verification, rollback and success rate.

Life of an action (``ai_actions``)::

    suggested | awaiting_approval --approve--> scheduled --execute--> verifying --> succeeded
        |                                 ^  (auto, in scope,                 |--> failed
        +--reject--> rejected             |   under its rate, in its window)  +--> rolled_back

Executing goes through the kind's :class:`~rjchronos.ai.contracts.ActionExecutor`
(the ACS's task queue for CPE actions), which returns the values it replaced.
After ``verify_after_seconds`` the verification compares the action's metric
before and after: recovered is a success; worse is rolled back when the policy
says so, and failed either way. Every step is audited.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from rjchronos.ai.context import DiagnosedDevice, load_devices
from rjchronos.ai.contracts import ActionError, ActionExecutor, Cause, SuggestedAction
from rjchronos.ai.models import EXECUTED_STATUSES, OPEN_STATUSES, AiAction, ai_actions
from rjchronos.ai.policy import Policy, policy_of
from rjchronos.ai.scoring import ScanScoring, ScanState, scan_state
from rjchronos.db.types import utcnow

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
PLUGIN = "builtin.ai"
SYSTEM = "system:ai"
EXECUTE_JOB = "ai.execute"
VERIFY_JOB = "ai.verify"


class ActionStateError(ValueError):
    """The action is not in a state that allows this (the message says which it is in)."""


def settings(kernel: Kernel) -> Mapping[str, Any]:
    return kernel.plugin_settings(PLUGIN)


def executors(kernel: Kernel) -> dict[str, ActionExecutor]:
    """Every declared executor by kind; a kind declared twice is an error naming both plugins."""
    found: dict[str, tuple[str, ActionExecutor]] = {}
    for plugin, declared in kernel.host.results_with_plugins("rjc_action_executors", kernel=kernel):
        for executor in declared:
            if not isinstance(executor, ActionExecutor):
                raise TypeError(f"plugin {plugin}: rjc_action_executors returned {executor!r}")
            if executor.name in found:
                first = found[executor.name][0]
                raise ValueError(
                    f"action kind {executor.name!r} is declared by {first} and {plugin}"
                )
            found[executor.name] = (plugin, executor)
    return {name: pair[1] for name, pair in found.items()}


def render(action: AiAction) -> dict[str, Any]:
    """An action as the API shows it."""

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": action.id,
        "kind": action.kind,
        "device_id": action.device_id,
        "status": action.status,
        "mode": action.mode,
        "cause": action.cause,
        "rule": action.rule,
        "score": action.score,
        "title": action.evidence.get("title", {}),
        "evidence": action.evidence.get("evidence", {}),
        "params": action.params,
        "verify": action.verify,
        "previous": action.previous,
        "result": action.result,
        "note": action.note,
        "outcome": action.outcome,
        "metric_before": action.metric_before,
        "metric_after": action.metric_after,
        "created_by": action.created_by,
        "approved_by": action.approved_by,
        "created_at": action.created_at.isoformat(),
        "executed_at": when(action.executed_at),
        "verify_at": when(action.verify_at),
        "verified_at": when(action.verified_at),
        "rolled_back_at": when(action.rolled_back_at),
    }


def _audit(
    kernel: Kernel, actor: str, verb: str, action: AiAction, result: str = "ok", **extra: Any
) -> None:
    kernel.audit.record(
        actor=actor,
        action=f"ai.action.{verb}",
        target=f"ai_action:{action.id}",
        params={"kind": action.kind, "device_id": action.device_id, **extra},
        result=result,
    )


def _executed_since(kernel: Kernel, kind: str, since: datetime) -> int:
    with kernel.db.session() as session:
        count = session.execute(
            select(func.count()).where(ai_actions.c.kind == kind, ai_actions.c.executed_at >= since)
        ).scalar()
    return int(count or 0)


def _recent_outcome(kernel: Kernel, device_id: str | None, kind: str, since: datetime) -> str:
    """The status of this kind's latest finished execution on the device since ``since``."""
    with kernel.db.session() as session:
        found = session.execute(
            select(ai_actions.c.status)
            .where(
                ai_actions.c.device_id == device_id,
                ai_actions.c.kind == kind,
                ai_actions.c.status.in_(("succeeded", "failed", "rolled_back")),
                ai_actions.c.executed_at.is_not(None),
                ai_actions.c.updated_at >= since,
            )
            .order_by(ai_actions.c.updated_at.desc())
            .limit(1)
        ).scalar()
    return str(found or "")


_RAN = {"succeeded": "succeeded", "failed": "failed", "rolled_back": "was rolled back"}


def _decide(
    kernel: Kernel,
    policy: Policy,
    kind: str,
    device: DiagnosedDevice | None,
    executor: ActionExecutor | None,
    now: datetime,
) -> tuple[str, str, datetime | None]:
    """``(status, note, run_at)`` of a new suggestion under its policy."""
    if executor is None:
        return "suggested", f"no executor for {kind!r} is installed", None
    if device is not None and executor.device_kinds and device.kind not in executor.device_kinds:
        return "suggested", f"{kind!r} does not apply to a device of kind {device.kind!r}", None
    if policy.mode == "suggest":
        return "suggested", "", None
    if policy.mode == "approve":
        return "awaiting_approval", "", None
    if device is None or not policy.in_scope(device):
        return "suggested", "outside the automatic policy's scope", None
    cooldown = timedelta(seconds=float(settings(kernel).get("cooldown_seconds", 86400)))
    recent = _recent_outcome(kernel, device.id, kind, now - cooldown)
    if recent:
        return "suggested", f"the same action {_RAN[recent]} on this device recently", None
    if _executed_since(kernel, kind, now - timedelta(hours=1)) >= policy.max_per_hour:
        return "suggested", f"rate limit: {policy.max_per_hour} executions an hour", None
    opens = policy.next_window(now)
    note = f"waits for the maintenance window at {opens.isoformat()}" if opens else ""
    return "scheduled", note, opens


def suggest(
    kernel: Kernel,
    device: DiagnosedDevice,
    cause: Cause,
    rule: str,
    suggestion: SuggestedAction,
    *,
    actor: str = SYSTEM,
) -> AiAction | None:
    """Record a suggestion under its policy; ``None`` when one is already open for the device.

    Under an ``auto`` policy that allows it, its execution is queued at once
    (or for the maintenance window).
    """
    now = utcnow()
    with kernel.db.session() as session:
        already = session.execute(
            select(ai_actions.c.id)
            .where(
                ai_actions.c.device_id == device.id,
                ai_actions.c.kind == suggestion.kind,
                ai_actions.c.status.in_(OPEN_STATUSES),
            )
            .limit(1)
        ).first()
    if already is not None:
        return None
    policy = policy_of(kernel, suggestion.kind)
    executor = executors(kernel).get(suggestion.kind)
    status, note, run_at = _decide(kernel, policy, suggestion.kind, device, executor, now)
    action = AiAction(
        kind=suggestion.kind,
        device_id=device.id,
        status=status,
        mode=policy.mode,
        cause=cause.cause,
        rule=rule,
        score=round(cause.score, 3),
        evidence={"title": dict(cause.title), "evidence": dict(cause.evidence)},
        params=dict(suggestion.params),
        verify=suggestion.verify.as_dict() if suggestion.verify else None,
        note=note,
        created_by=actor,
        approved_by=SYSTEM if status == "scheduled" else "",
    )
    with kernel.db.session() as session:
        session.add(action)
        session.commit()
        session.refresh(action)
        session.expunge(action)
    _audit(kernel, actor, "suggest", action, status=status, cause=cause.cause, params=action.params)
    if status == "scheduled":
        job = kernel.jobs.enqueue(
            EXECUTE_JOB, {"action_id": action.id}, device_id=device.id, run_at=run_at,
            dedup_key=f"{EXECUTE_JOB}:{action.id}",
        )  # fmt: skip
        if run_at is not None:
            action = _update(
                kernel, action.id, result={"execute_job": job, "run_at": run_at.isoformat()}
            )
    return action


def _load(session: Any, action_id: str) -> AiAction:
    action = session.get(AiAction, action_id)
    if action is None:
        raise LookupError(action_id)
    return action


def _update(kernel: Kernel, action_id: str, **changes: Any) -> AiAction:
    with kernel.db.session() as session:
        action = _load(session, action_id)
        for name, value in changes.items():
            setattr(action, name, value)
        action.updated_at = utcnow()
        session.commit()
        session.refresh(action)
        session.expunge(action)
    return action


def approve(kernel: Kernel, action_id: str, actor: str) -> AiAction:
    """An operator approves a suggestion: it is executed now."""
    action = _current(kernel, action_id)
    if action.kind not in executors(kernel):
        raise ActionStateError(f"no executor for {action.kind!r} is installed")
    waiting = ("suggested", "awaiting_approval")
    if not _claim(kernel, action_id, waiting, status="scheduled", approved_by=actor):
        raise ActionStateError(f"action {action_id} is {action.status}, not awaiting approval")
    _audit(kernel, actor, "approve", action)
    kernel.jobs.enqueue(
        EXECUTE_JOB, {"action_id": action.id}, device_id=action.device_id,
        dedup_key=f"{EXECUTE_JOB}:{action.id}",
    )  # fmt: skip
    return _current(kernel, action_id)


def reject(kernel: Kernel, action_id: str, actor: str, reason: str = "") -> AiAction:
    """An operator turns a suggestion down."""
    _current(kernel, action_id)  # LookupError when there is none
    waiting = ("suggested", "awaiting_approval")
    values = {"status": "rejected", "note": reason[:500], "approved_by": actor}
    if not _claim(kernel, action_id, waiting, **values):
        raise ActionStateError(f"action {action_id} can no longer be rejected")
    action = _current(kernel, action_id)
    _audit(kernel, actor, "reject", action, reason=reason)
    return action


def _claim(kernel: Kernel, action_id: str, before: tuple[str, ...], **values: Any) -> bool:
    """Move the action from one of ``before`` in one compare-and-set; whether it moved."""
    with kernel.db.engine.begin() as connection:
        moved = connection.execute(
            update(ai_actions)
            .where(ai_actions.c.id == action_id, ai_actions.c.status.in_(before))
            .values(updated_at=utcnow(), **values)
        ).rowcount
    return moved == 1


def _current(kernel: Kernel, action_id: str) -> AiAction:
    with kernel.db.session() as session:
        action = _load(session, action_id)
        session.expunge(action)
    return action


def _window_mean(
    kernel: Kernel, verify: Mapping[str, Any], start: datetime, end: datetime
) -> float | None:
    points = kernel.telemetry.series(verify["entity"], verify["metric"], start, end)
    return sum(v for _, v in points) / len(points) if points else None


def execute(kernel: Kernel, action_id: str) -> dict[str, Any]:
    """Carry out a scheduled action through its executor, then schedule its verification."""
    action = _current(kernel, action_id)
    if action.status != "scheduled":
        return {"skipped": f"action is {action.status}"}
    executor = executors(kernel).get(action.kind)
    if executor is None:
        _update(kernel, action_id, status="failed", note=f"no executor for {action.kind!r}")
        return {"failed": "no executor"}
    policy = policy_of(kernel, action.kind)
    if action.approved_by == SYSTEM and policy.mode == "auto":
        now = utcnow()
        if _executed_since(kernel, action.kind, now - timedelta(hours=1)) >= policy.max_per_hour:
            _update(
                kernel, action_id, status="suggested", note="rate limit reached when its turn came"
            )
            return {"deferred": "rate limit"}
    if not _claim(kernel, action_id, ("scheduled",), status="executing"):
        return {"skipped": "another worker took it"}
    actor = action.approved_by or SYSTEM
    started = utcnow()
    try:
        applied = asyncio.run(executor.execute(kernel, action.device_id or "", action.params))
    except Exception as exc:
        reason = str(exc) if isinstance(exc, ActionError) else f"{type(exc).__name__}: {exc}"
        failed = _update(kernel, action_id, status="failed", note=reason[:500], outcome="error")
        _audit(
            kernel, actor, "execute", failed, result=f"error: {reason}"[:200], params=action.params
        )
        return {"failed": reason}
    executed = utcnow()
    own = settings(kernel)
    delay = timedelta(seconds=float(own.get("verify_after_seconds", 600)))
    window = timedelta(seconds=float(own.get("verify_window_seconds", 3600)))
    before = (
        _window_mean(kernel, action.verify, started - window, started) if action.verify else None
    )
    changes: dict[str, Any] = {
        "previous": dict(applied.previous),
        "result": {**action.result, "execution": dict(applied.details)},
        "executed_at": executed,
        "metric_before": before,
    }
    if action.verify:
        changes |= {"status": "verifying", "verify_at": executed + delay}
    else:
        changes |= {"status": "succeeded", "outcome": "unverified"}
    done = _update(kernel, action_id, **changes)
    _audit(
        kernel,
        actor,
        "execute",
        done,
        params=action.params,
        previous=dict(applied.previous),
        details=dict(applied.details),
    )
    if action.device_id:
        kernel.events.emit(
            "ai.action.executed",
            action.device_id,
            {"action_id": action.id, "kind": action.kind, "cause": action.cause},
            actor=actor,
        )
    if action.verify:
        kernel.jobs.enqueue(
            VERIFY_JOB,
            {"action_id": action.id, "attempt": 1},
            device_id=action.device_id,
            run_at=executed + delay,
        )
    return {"executed": action.id, "previous": dict(applied.previous)}


def _verdict(verify: Mapping[str, Any], before: float, after: float) -> str:
    gain = before - after if verify.get("better", "lower") == "lower" else after - before
    margin = float(verify.get("min_change", 0.0))
    if gain > margin or (margin == 0 and gain > 0):
        return "recovered"
    if gain < -margin or (margin == 0 and gain < 0):
        return "worse"
    return "unchanged"


def verify(kernel: Kernel, action_id: str, attempt: int = 1) -> dict[str, Any]:
    """Compare the action's metric before and after it; roll back what made things worse."""
    action = _current(kernel, action_id)
    if action.status != "verifying" or not action.verify or action.executed_at is None:
        return {"skipped": f"action is {action.status}"}
    own = settings(kernel)
    now = utcnow()
    after = _window_mean(kernel, action.verify, action.executed_at, now + timedelta(seconds=1))
    if after is None or action.metric_before is None:
        if after is None and attempt < int(own.get("verify_attempts", 3)):
            delay = timedelta(seconds=float(own.get("verify_after_seconds", 600)))
            kernel.jobs.enqueue(
                VERIFY_JOB,
                {"action_id": action.id, "attempt": attempt + 1},
                device_id=action.device_id,
                run_at=now + delay,
            )
            return {"waiting": "no sample after the change yet"}
        missing = "after" if after is None else "before"
        checked = _update(
            kernel,
            action_id,
            status="failed",
            outcome="unverified",
            verified_at=now,
            metric_after=after,
            note=f"no {action.verify['metric']} sample {missing} the change to compare",
        )
        _audit(kernel, SYSTEM, "verify", checked, outcome="unverified")
        return {"outcome": "unverified"}
    outcome = _verdict(action.verify, action.metric_before, after)
    status = {"recovered": "succeeded", "worse": "failed", "unchanged": "failed"}[outcome]
    checked = _update(
        kernel, action_id, status=status, outcome=outcome, metric_after=after, verified_at=now
    )
    _audit(
        kernel,
        SYSTEM,
        "verify",
        checked,
        outcome=outcome,
        metric=action.verify["metric"],
        before=action.metric_before,
        after=after,
    )
    if outcome == "worse" and policy_of(kernel, action.kind).rollback_on_worse:
        try:
            rollback(kernel, action_id, SYSTEM)
        except (ActionStateError, ActionError) as exc:
            _update(kernel, action_id, note=f"rollback failed: {exc}"[:500])
    return {"outcome": outcome, "before": action.metric_before, "after": after}


def rollback(kernel: Kernel, action_id: str, actor: str) -> AiAction:
    """Restore what the action changed (its ``previous`` values) through its executor.

    :raises ActionStateError: when it was never executed, was already rolled
        back, or changed nothing that can be restored.
    :raises ActionError: when the executor could not restore the values.
    """
    action = _current(kernel, action_id)
    if action.status not in ("verifying", "succeeded", "failed") or action.executed_at is None:
        raise ActionStateError(f"action {action_id} is {action.status}: nothing to roll back")
    executor = executors(kernel).get(action.kind)
    if executor is None or executor.rollback is None or not action.previous:
        raise ActionStateError(
            f"action {action_id} ({action.kind}) changed nothing that can be restored"
        )
    try:
        restored = asyncio.run(executor.rollback(kernel, action.device_id or "", action.previous))
    except Exception as exc:
        reason = str(exc) if isinstance(exc, ActionError) else f"{type(exc).__name__}: {exc}"
        _audit(kernel, actor, "rollback", action, result=f"error: {reason}"[:200])
        raise ActionError(reason) from exc
    done = _update(
        kernel,
        action_id,
        status="rolled_back",
        rolled_back_at=utcnow(),
        result={**action.result, "rollback": dict(restored.details), "rolled_back_by": actor},
    )
    _audit(
        kernel, actor, "rollback", done, restored=action.previous, details=dict(restored.details)
    )
    if action.device_id:
        kernel.events.emit(
            "ai.action.rolled_back",
            action.device_id,
            {"action_id": action.id, "kind": action.kind, "cause": action.cause},
            actor=actor,
        )
    return done


def stats(
    kernel: Kernel, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Per kind and in total: suggestions, executions, outcomes and the success rate, of the
    actions suggested from ``since`` (included) to ``until`` (excluded).

    The success rate is succeeded over verified-or-finished executions
    (succeeded, failed, rolled back); actions still verifying do not count.
    """
    statement = select(ai_actions.c.kind, ai_actions.c.status, func.count()).group_by(
        ai_actions.c.kind, ai_actions.c.status
    )
    if since is not None:
        statement = statement.where(ai_actions.c.created_at >= since)
    if until is not None:
        statement = statement.where(ai_actions.c.created_at < until)
    with kernel.db.session() as session:
        rows = session.execute(statement).all()
    kinds: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        kinds.setdefault(kind, {})[status] = int(count)

    def summary(counts: Mapping[str, int]) -> dict[str, Any]:
        executed = sum(counts.get(s, 0) for s in EXECUTED_STATUSES)
        finished = sum(counts.get(s, 0) for s in ("succeeded", "failed", "rolled_back"))
        return {
            "suggested": sum(counts.values()),
            "executed": executed,
            **{s: counts.get(s, 0) for s in ("succeeded", "failed", "rolled_back", "verifying")},
            "success_rate": round(counts.get("succeeded", 0) / finished, 4) if finished else None,
        }

    total: dict[str, int] = {}
    for counts in kinds.values():
        for status, count in counts.items():
            total[status] = total.get(status, 0) + count
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "total": summary(total),
        "kinds": {kind: summary(counts) for kind, counts in sorted(kinds.items())},
    }


def _seen_lately(kernel: Kernel, state: ScanState, since: datetime, limit: int) -> list[str]:
    """CPEs and ONUs seen since ``since``: ``limit`` of them after the last one scanned,
    wrapping around, so that every device takes its turn when they outnumber a scan."""
    from rjchronos.inventory.models import devices

    def after(cursor: str, count: int) -> list[str]:
        with kernel.db.session() as session:
            return list(
                session.execute(
                    select(devices.c.id)
                    .where(
                        devices.c.kind.in_(("cpe", "onu")),
                        devices.c.last_seen >= since,
                        devices.c.id > cursor,
                    )
                    .order_by(devices.c.id)
                    .limit(count)
                ).scalars()
            )

    found = after(state.cursor, limit)
    if len(found) < limit and state.cursor:
        seen = set(found)
        found += [i for i in after("", limit - len(found)) if i not in seen]
    state.cursor = found[-1] if len(found) == limit else ""
    return found


def scan(
    kernel: Kernel, device_ids: list[str] | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Diagnose devices (those given, or those seen lately) and record their suggestions.

    Expensive analyzers run within ``scan_expensive_seconds``, devices that waited
    longest for them first; the others are ``deferred`` to a later scan.
    """
    from rjchronos.ai.diagnosis import causes_for, diagnosis_rules

    own = settings(kernel)
    state = scan_state(kernel, int(own.get("analyzer_cache_series", 5000)))
    state.scans += 1
    if device_ids is None:
        since = utcnow() - timedelta(seconds=float(own.get("scan_lookback_seconds", 900)))
        device_ids = _seen_lately(kernel, state, since, int(own.get("scan_max_devices", 5000)))
    threshold = float(own.get("suggest_min_score", 0.5))
    scoring = ScanScoring(state.cache, float(own.get("scan_expensive_seconds", 120)))
    counts: dict[str, Any] = {"devices": 0, "causes": 0, "suggested": 0, "scheduled": 0}
    deferred = 0
    rules = diagnosis_rules(kernel)
    found = load_devices(kernel, device_ids)
    # Those that waited longest for the expensive analyzers first (never: first of all).
    order = sorted(found, key=lambda i: (state.analyzed.get(i, 0), i))
    for device_id in order:
        device = found[device_id]
        counts["devices"] += 1
        if scoring.allow_next():
            state.analyzed[device_id] = state.scans
        skipped = scoring.counts["skipped"]
        causes, _ = causes_for(kernel, device, now, rules=rules, scoring=scoring)
        deferred += scoring.counts["skipped"] > skipped
        for cause, rule in causes:
            if cause.score < threshold:
                continue
            counts["causes"] += 1
            for suggestion in cause.actions:
                made = suggest(kernel, device, cause, rule, suggestion)
                if made is not None:
                    counts["suggested"] += 1
                    counts["scheduled"] += made.status == "scheduled"
    counts["analyzers"] = {
        **scoring.counts,
        "deferred_devices": deferred,
        "expensive_seconds": round(scoring.spent, 3),
    }
    series = kernel.metrics.counter(
        "rjc_ai_scan_analyzer_series_total",
        "Series the ai.scan job gave its analyzers: scored from scratch, by a kept model, "
        "or skipped (an expensive analyzer out of the scan's budget)",
        ["outcome"],
    )
    for outcome, count in scoring.counts.items():
        series.labels(outcome).inc(count)
    kernel.metrics.counter(
        "rjc_ai_scan_deferred_devices_total",
        "Devices an ai.scan left to a later scan's expensive analyzers",
    ).inc(deferred)
    log.info(
        "ai scan: %d devices, %d causes, %d suggested; series scored %d, from kept models "
        "%d, skipped %d (%d devices deferred, %.1f s of expensive analyzers)",
        counts["devices"], counts["causes"], counts["suggested"], scoring.counts["scored"],
        scoring.counts["cached"], scoring.counts["skipped"], deferred, scoring.spent,
    )  # fmt: skip
    return counts
