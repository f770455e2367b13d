"""The scheduler: enqueue each due run of every schedule and collector once, cluster-wide.

Definitions come from the plugins (``rjc_schedules``, ``rjc_collectors``);
``schedules`` rows hold when each runs next. A process takes a due row with a
short lease (compare-and-set), enqueues the job with the row's key as dedup
key, then moves the row to its next run. A process that dies holding a lease
only delays that run until the lease runs out; the dedup key keeps the retry
from doubling a job that was already enqueued, and keeps a slow run from
overlapping the next one.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, or_, text, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from rjchronos.jobs.errors import UnknownJobType
from rjchronos.jobs.models import ScheduleState
from rjchronos.jobs.queue import log

if TYPE_CHECKING:
    from rjchronos.jobs.queue import JobQueue

SCHEDULE = "schedule"
COLLECTOR = "collector"
LEASE = timedelta(seconds=60)
#: How often a process re-reads which devices each collector covers.
DEVICE_SYNC_EVERY = timedelta(seconds=60)
BATCH = 500


@dataclass(frozen=True)
class Plan:
    """A schedule or a collector as the scheduler runs it."""

    kind: str
    name: str
    job_type: str
    every: timedelta
    jitter: timedelta
    params: Mapping[str, Any] = field(default_factory=dict)
    device_kind: str | None = None

    def key(self, device_id: str | None = None) -> str:
        return f"{self.kind}:{self.name}" + (f":{device_id}" if device_id is not None else "")

    def first_run(self, now: datetime) -> tuple[datetime, datetime]:
        """(nominal, jittered) time of a new row's first run.

        A collector's devices start spread over the jitter (or the whole
        period without one), so a thousand OLTs are never polled at once.
        """
        if self.kind == COLLECTOR:
            spread = self.jitter if self.jitter > timedelta(0) else self.every
            start = now + spread * _random()
            return start, start
        return now, now + self.jitter * _random()

    def following(self, nominal: datetime, now: datetime) -> tuple[datetime, datetime]:
        """(nominal, jittered) time of the run after ``nominal``, skipping missed runs."""
        following = nominal + self.every
        if following <= now:
            following += self.every * ((now - following) // self.every + 1)
        return following, following + self.jitter * _random()


class Scheduler:
    """Runs due schedule rows for one :class:`~rjchronos.jobs.queue.JobQueue`."""

    def __init__(self, queue: JobQueue) -> None:
        self.queue = queue
        self.db = queue.kernel.db
        self._devices_synced_at: datetime | None = None
        self._warned_no_devices = False

    @cached_property
    def plans(self) -> dict[str, Plan]:
        """Every declared schedule and collector, by ``kind:name``."""
        kernel = self.queue.kernel
        plans: dict[str, Plan] = {}
        for _, schedules in kernel.host.results_with_plugins("rjc_schedules", kernel=kernel):
            for schedule in schedules:
                self._add(
                    plans,
                    Plan(
                        SCHEDULE,
                        schedule.name,
                        schedule.job_type,
                        schedule.every,
                        schedule.jitter,
                        dict(schedule.params),
                    ),
                )
        for _, collectors in kernel.host.results_with_plugins("rjc_collectors", kernel=kernel):
            for collector in collectors:
                self._add(
                    plans,
                    Plan(
                        COLLECTOR,
                        collector.name,
                        collector.job_type,
                        collector.every,
                        collector.jitter,
                        device_kind=collector.device_kind,
                    ),
                )
        return plans

    @staticmethod
    def _add(plans: dict[str, Plan], plan: Plan) -> None:
        if plan.every <= timedelta(0):
            raise ValueError(f"{plan.kind} {plan.name}: 'every' must be positive, not {plan.every}")
        if plan.jitter < timedelta(0):
            raise ValueError(f"{plan.kind} {plan.name}: 'jitter' must not be negative")
        if plan.key() in plans:
            raise ValueError(f"{plan.kind} {plan.name} is declared twice")
        plans[plan.key()] = plan

    def _names_by_kind(self) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        for plan in self.plans.values():
            names.setdefault(plan.kind, []).append(plan.name)
        return names

    def plan_of(self, row: ScheduleState) -> Plan | None:
        return self.plans.get(f"{row.kind}:{row.name}")

    def run_due(self, now: datetime) -> list[str]:
        """Create missing rows, then enqueue every due run this process wins; return job ids."""
        if not self.plans:
            return []
        self._ensure_schedule_rows(now)
        if self._devices_synced_at is None or now - self._devices_synced_at >= DEVICE_SYNC_EVERY:
            self._sync_collector_rows(now)
            self._devices_synced_at = now
        enqueued: list[str] = []
        with self.db.session() as session:
            due = session.exec(
                select(ScheduleState)
                .where(
                    col(ScheduleState.next_run_at) <= now,
                    or_(
                        col(ScheduleState.lease_until).is_(None),
                        col(ScheduleState.lease_until) < now,
                    ),
                    # Only what this process knows how to run; rows of plugins it
                    # lacks are left to the processes that have them.
                    or_(
                        *(
                            and_(
                                col(ScheduleState.kind) == kind, col(ScheduleState.name).in_(names)
                            )
                            for kind, names in self._names_by_kind().items()
                        )
                    ),
                )
                .order_by(col(ScheduleState.next_run_at))
                .limit(BATCH)
            ).all()
        for row in due:
            plan = self.plan_of(row)
            if plan is not None:
                job_id = self._run(row, plan, now)
                if job_id:
                    enqueued.append(job_id)
        return enqueued

    def _run(self, row: ScheduleState, plan: Plan, now: datetime) -> str | None:
        token = uuid.uuid4().hex
        claimed = self._update(
            row.id,
            (
                col(ScheduleState.next_run_at) <= now,
                or_(col(ScheduleState.lease_until).is_(None), col(ScheduleState.lease_until) < now),
            ),
            lease_until=now + LEASE,
            lease_owner=token,
        )
        if not claimed:
            return None
        job_id: str | None = None
        try:
            params = (
                plan.params
                if plan.kind == SCHEDULE
                else {"device_id": row.device_id, "collector": plan.name}
            )
            job_id = self.queue.enqueue(
                plan.job_type, params, device_id=row.device_id, dedup_key=row.key
            )
            log.info(
                "%s %s: run due %s enqueued job %s",
                plan.kind,
                row.key,
                row.next_run_at.isoformat(),
                job_id,
            )
        except UnknownJobType as exc:
            log.error("%s %s: %s", plan.kind, plan.name, exc)
        finally:
            nominal, next_run = plan.following(row.nominal_at, now)
            values: dict[str, Any] = {
                "nominal_at": nominal,
                "next_run_at": next_run,
                "last_run_at": now,
                "lease_until": None,
                "lease_owner": None,
            }
            if job_id:
                values["last_job_id"] = job_id
            self._update(row.id, (col(ScheduleState.lease_owner) == token,), **values)
        return job_id

    def _update(self, row_id: str, where: tuple[Any, ...], **values: Any) -> bool:
        statement = (
            update(ScheduleState).where(col(ScheduleState.id) == row_id, *where).values(**values)
        )
        with self.db.engine.begin() as connection:
            return connection.execute(statement).rowcount == 1

    def _ensure_schedule_rows(self, now: datetime) -> None:
        wanted = {key: plan for key, plan in self.plans.items() if plan.kind == SCHEDULE}
        if not wanted:
            return
        with self.db.session() as session:
            present = set(
                session.exec(
                    select(ScheduleState.key).where(col(ScheduleState.key).in_(wanted))
                ).all()
            )
        self._insert(
            [self._row(plan, None, now) for key, plan in wanted.items() if key not in present]
        )

    def _sync_collector_rows(self, now: datetime) -> None:
        for plan in self.plans.values():
            if plan.kind != COLLECTOR:
                continue
            try:
                self._sync_collector(plan, now)
            except DBAPIError as exc:
                if not self._warned_no_devices:
                    log.warning(
                        "collector %s: cannot read the devices table (%s); collectors wait for it",
                        plan.name,
                        type(exc.orig).__name__,
                    )
                    self._warned_no_devices = True
                return

    def _sync_collector(self, plan: Plan, now: datetime) -> None:
        missing = text(
            "SELECT d.id FROM devices d WHERE d.kind = :kind AND NOT EXISTS ("
            " SELECT 1 FROM schedules s"
            " WHERE s.kind = :collector AND s.name = :name AND s.device_id = d.id)"
            " LIMIT :batch"
        )
        args = {"kind": plan.device_kind, "collector": COLLECTOR, "name": plan.name, "batch": BATCH}
        while True:
            with self.db.engine.connect() as connection:
                device_ids = [str(r[0]) for r in connection.execute(missing, args)]
            if not device_ids:
                break
            self._insert([self._row(plan, device_id, now) for device_id in device_ids])
            if len(device_ids) < BATCH:
                break
        gone = (
            delete(ScheduleState)
            .where(col(ScheduleState.kind) == COLLECTOR, col(ScheduleState.name) == plan.name)
            .where(
                text(
                    "NOT EXISTS (SELECT 1 FROM devices d"
                    " WHERE d.id = schedules.device_id AND d.kind = :kind)"
                ).bindparams(kind=plan.device_kind)
            )
        )
        with self.db.engine.begin() as connection:
            removed = connection.execute(gone).rowcount
        if removed:
            log.info(
                "collector %s: %d devices are gone or changed kind; their schedule removed",
                plan.name,
                removed,
            )

    @staticmethod
    def _row(plan: Plan, device_id: str | None, now: datetime) -> dict[str, Any]:
        nominal, next_run = plan.first_run(now)
        row = ScheduleState(
            key=plan.key(device_id),
            kind=plan.kind,
            name=plan.name,
            job_type=plan.job_type,
            device_id=device_id,
            nominal_at=nominal,
            next_run_at=next_run,
        )
        return row.model_dump()

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        """Insert rows, leaving any another process inserted first."""
        if not rows:
            return
        statement = (
            self.db.insert(ScheduleState)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        with self.db.engine.begin() as connection:
            connection.execute(statement)


def _random() -> float:
    return random.random()  # noqa: S311 - spreading load, not a secret
