"""``kernel.jobs``: enqueue durable jobs, run them, and keep them moving.

A job is a row in ``jobs``; the dramatiq message that triggers it carries
only its id. A worker claims the row with a compare-and-set before running
it, so a message delivered twice runs the job once, and the reconciler can
re-send any trigger that may have been lost without fear of duplicates.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from dramatiq import Actor, Broker, Message, Worker
from dramatiq.middleware import TimeLimitExceeded
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from rjchronos import logs
from rjchronos.db.types import utcnow
from rjchronos.jobs import brokers
from rjchronos.jobs.errors import JobNotFound, JobStateConflict, UnknownJobType
from rjchronos.jobs.loop import MaintenanceLoop
from rjchronos.jobs.models import FINISHED, UNFINISHED, Job, JobStatus
from rjchronos.jobs.runner import backoff, run_handler
from rjchronos.jobs.spec import TaskHandler
from rjchronos.jobs.store import JobStore

if TYPE_CHECKING:
    from rjchronos.jobs.scheduler import Scheduler
    from rjchronos.kernel import Kernel

log = logging.getLogger("rjchronos.jobs")

#: The name the jobs built-in plugin is registered under (its settings live there).
PLUGIN_NAME = "builtin.jobs"
ACTOR_NAME = "rjchronos.run_job"
#: A running job's lease outlasts its handler's timeout by this much.
LEASE_MARGIN = timedelta(seconds=30)
#: Jobs due within this are sent as delayed messages; later ones wait as pending rows.
DELAY_HORIZON = timedelta(minutes=15)
#: A trigger may arrive this much before the job's ``run_at`` (clocks differ between hosts).
EARLY_TOLERANCE = timedelta(seconds=5)
SHUTDOWN_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class JobSettings:
    """Settings of the jobs built-in plugin (``[plugins."builtin.jobs"]``)."""

    tick_seconds: float = 5.0
    grace_seconds: float = 600.0
    embedded_threads: int = 4
    queue_prefix: str = ""
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 600.0
    keep_finished_days: float = 30.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> JobSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


class JobQueue:
    """Durable jobs of one kernel on the broker its settings name.

    ``broker_url`` empty: an in-memory dramatiq broker and a worker in threads
    of this process (:meth:`start_in_process`); ``inline:``: jobs run in the
    caller of :meth:`enqueue` (tests); ``redis://`` or ``amqp://``: a shared
    broker that ``rjchronos worker`` processes consume (:meth:`run_worker`).
    """

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.url = kernel.settings.broker_url
        self.kind = brokers.broker_kind(self.url)
        self.config = JobSettings.from_mapping(kernel.plugin_settings(PLUGIN_NAME))
        self.store = JobStore(kernel.db)
        self.worker_name = f"{socket.gethostname()}:{os.getpid()}"
        self._lock = threading.RLock()
        self._broker: Broker | None = None
        self._worker: Worker | None = None
        self._loop: MaintenanceLoop | None = None
        self._stopping = threading.Event()

    # -- what the plugins declare ------------------------------------------------

    @cached_property
    def handlers(self) -> dict[str, TaskHandler]:
        """Every declared task handler, by job type."""
        found: dict[str, TaskHandler] = {}
        owners: dict[str, str] = {}
        for plugin, handlers in self.kernel.host.results_with_plugins(
            "rjc_task_handlers", kernel=self.kernel
        ):
            for handler in handlers:
                if handler.type in found:
                    raise RuntimeError(
                        f"job type {handler.type} has two handlers: "
                        f"from {owners[handler.type]} and from {plugin}"
                    )
                brokers.check_queue_name(handler.queue)
                found[handler.type] = handler
                owners[handler.type] = plugin
        return found

    def handler(self, job_type: str) -> TaskHandler:
        """The handler of ``job_type``, or :class:`UnknownJobType` listing the known types."""
        try:
            return self.handlers[job_type]
        except KeyError:
            raise UnknownJobType(job_type, sorted(self.handlers)) from None

    @cached_property
    def scheduler(self) -> Scheduler:
        from rjchronos.jobs.scheduler import Scheduler

        return Scheduler(self)

    # -- the API others call -------------------------------------------------------

    def enqueue(
        self,
        type: str,
        params: Mapping[str, Any] | None = None,
        *,
        device_id: str | None = None,
        dedup_key: str | None = None,
        run_at: datetime | None = None,
        expires_at: datetime | None = None,
        queue: str | None = None,
    ) -> str:
        """Store a job and trigger it; return its id.

        :param params: JSON-able parameters handed to the handler.
        :param dedup_key: while a job with this key is unfinished, enqueueing
            another returns that job's id instead of creating one.
        :param run_at: not before this (timezone-aware) time.
        :param expires_at: if it has not started by then, it is marked
            ``expired`` instead of run.
        :param queue: the broker queue; the handler's by default.
        :raises UnknownJobType: no plugin handles ``type``.
        """
        handler = self.handler(type)
        params = dict(params or {})
        _check_json(type, params)
        for name, moment in (("run_at", run_at), ("expires_at", expires_at)):
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} of job {type}: use a timezone-aware time")
        now = utcnow()
        job = Job(
            type=type,
            params=params,
            queue=brokers.check_queue_name(queue or handler.queue),
            max_attempts=handler.max_attempts,
            device_id=device_id,
            dedup_key=dedup_key,
            run_at=run_at,
            expires_at=expires_at,
            status=JobStatus.PENDING,
        )
        existing = self.store.insert(job)
        if existing:
            log.info(
                "job %s (%s): dedup key %r already held, not enqueued again",
                existing,
                type,
                dedup_key,
            )
            return existing
        log.info("job %s (%s): created for %s", job.id, type, device_id or "no device")
        self._dispatch(job, now)
        return job.id

    def enqueue_many(
        self, type: str, items: Sequence[tuple[Mapping[str, Any] | None, str | None]]
    ) -> list[str]:
        """:meth:`enqueue` for many jobs of one type due now: one insert, then their triggers.

        :param items: ``(params, dedup_key)`` of each job.
        :return: each job's id (the holder's, where a dedup key was held).
        """
        if self.kind == "inline":
            return [self.enqueue(type, params, dedup_key=key) for params, key in items]
        handler = self.handler(type)
        queue = brokers.check_queue_name(handler.queue)
        now = utcnow()
        jobs = []
        for params, key in items:
            values = dict(params or {})
            _check_json(type, values)
            jobs.append(
                Job(
                    type=type,
                    params=values,
                    queue=queue,
                    max_attempts=handler.max_attempts,
                    dedup_key=key,
                    status=JobStatus.QUEUED,
                    triggered_at=now,
                )
            )
        holders = self.store.insert_many(jobs)
        created = [job for job, holder in zip(jobs, holders, strict=True) if holder is None]
        if created:
            log.info("%d %s jobs created and queued", len(created), type)
        for job in created:
            self._trigger(job.id, job.type, job.queue)
        return [holder or job.id for job, holder in zip(jobs, holders, strict=True)]

    def get(self, job_id: str) -> Job | None:
        """The job with ``job_id``, or ``None``."""
        return self.store.get(job_id)

    def cancel(self, job_id: str) -> Job:
        """Cancel an unfinished job; a running attempt's result is then discarded.

        :raises JobNotFound: no such job.
        :raises JobStateConflict: it has already finished.
        """
        while True:
            job = self._existing(job_id)
            if job.status in FINISHED:
                raise JobStateConflict(f"job {job_id} is already {job.status}")
            if self.store.change(
                job_id,
                (job.status,),
                status=JobStatus.CANCELLED,
                finished_at=utcnow(),
                lease_until=None,
            ):
                self._moved(job, JobStatus.CANCELLED)
                return self._existing(job_id)

    def retry(self, job_id: str) -> Job:
        """Run a failed or expired job again, with its attempts reset.

        :raises JobNotFound: no such job.
        :raises JobStateConflict: it is not failed or expired, or another
            unfinished job holds its dedup key.
        """
        job = self._existing(job_id)
        retryable = (JobStatus.FAILED, JobStatus.EXPIRED)
        try:
            changed = self.store.change(
                job_id,
                retryable,
                status=JobStatus.PENDING,
                attempts=0,
                error=None,
                result=None,
                started_at=None,
                finished_at=None,
                lease_until=None,
                worker=None,
                run_at=None,
                expires_at=None,
            )
        except IntegrityError:
            raise JobStateConflict(
                f"job {job_id}: another unfinished job holds its dedup key {job.dedup_key!r}"
            ) from None
        if not changed:
            current = self._existing(job_id)
            raise JobStateConflict(
                f"job {job_id} is {current.status}; only failed or expired jobs are retried"
            )
        self._moved(job, JobStatus.PENDING, "retry requested")
        pending = self._existing(job_id)
        self._dispatch(pending, utcnow())
        return self._existing(job_id)

    def wait(self, job_id: str, timeout: float = 30.0, interval: float = 0.05) -> Job:
        """Poll until the job has finished and return it (``TimeoutError`` naming its state)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self._existing(job_id)
            if job.status in FINISHED:
                return job
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"job {job_id} ({job.type}) still {job.status} after {timeout:g}s"
                )
            time.sleep(interval)

    def ping(self) -> None:
        """Raise :class:`~rjchronos.jobs.errors.BrokerUnavailable` unless the broker answers."""
        if self.kind in ("redis", "amqp"):
            brokers.ping(self.broker, self.url)

    def reconcile(
        self, *, now: datetime | None = None, grace: float | None = None
    ) -> dict[str, int]:
        """One pass of the reconciler (see :mod:`rjchronos.jobs.reconciler`)."""
        from rjchronos.jobs.reconciler import reconcile

        return reconcile(
            self, now or utcnow(), self.config.grace_seconds if grace is None else grace
        )

    def run_schedules(self, *, now: datetime | None = None) -> list[str]:
        """Enqueue every due run of the schedules and collectors; return the job ids."""
        return self.scheduler.run_due(now or utcnow())

    # -- processes ------------------------------------------------------------------

    @property
    def broker(self) -> Broker:
        """This kernel's dramatiq broker, with the job actor declared on it."""
        with self._lock:
            if self._broker is None:
                if self.kind == "inline":
                    raise RuntimeError(
                        "the inline broker has no dramatiq broker: jobs run in enqueue"
                    )
                broker = brokers.build_broker(self.url)
                Actor(
                    self.execute,
                    broker=broker,
                    actor_name=ACTOR_NAME,
                    queue_name=self._queue_name("default"),
                    priority=0,
                    options={},
                )
                for handler in self.handlers.values():
                    broker.declare_queue(self._queue_name(handler.queue))
                self._broker = broker
            return self._broker

    def start_in_process(self) -> None:
        """Start the embedded worker (no ``broker_url``) and the reconciler and scheduler loop.

        What ``rjchronos serve --role all`` runs. With a shared broker only the
        loop starts (``rjchronos worker`` runs the jobs); inline, nothing.
        """
        if self.kind == "inline":
            return
        with self._lock:
            self._stopping.clear()
            if self.kind == "embedded" and self._worker is None:
                self._start_worker(self.config.embedded_threads, None)
            # The embedded broker lost every message of the previous process: re-send all at once.
            self._start_loop(first_grace=0.0 if self.kind == "embedded" else None)

    def run_worker(self, threads: int = 4, queues: Iterable[str] | None = None) -> None:
        """Run jobs from the shared broker until :meth:`stop`, SIGTERM or Ctrl-C (blocking)."""
        if self.kind not in ("redis", "amqp"):
            raise RuntimeError(
                "run_worker needs a shared broker: set broker_url to redis://... or amqp://..."
            )
        self.ping()
        with self._lock:
            self._stopping.clear()
            if self._worker is None:
                self._start_worker(threads, list(queues) if queues else None)
            self._start_loop(first_grace=None)
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, lambda *_: self._stopping.set())
        log.info(
            "worker %s: %d threads on %s", self.worker_name, threads, brokers.safe_url(self.url)
        )
        try:
            while not self._stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            log.info("worker %s: interrupted", self.worker_name)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            self.stop()

    def stop(self) -> None:
        """Stop the worker and the loop, and close the broker's connections."""
        with self._lock:
            self._stopping.set()
            loop, self._loop = self._loop, None
            worker, self._worker = self._worker, None
            broker, self._broker = self._broker, None
        if loop is not None:
            loop.stop()
        if worker is not None:
            worker.stop(timeout=SHUTDOWN_TIMEOUT_MS)
        if broker is not None:
            broker.close()

    def _start_worker(self, threads: int, queues: list[str] | None) -> None:
        wanted = {self._queue_name(brokers.check_queue_name(q)) for q in queues or ()}
        # Dramatiq's Redis consumer backs off up to this long between polls of an empty
        # queue: it is the delay of the first job after a quiet spell (an alert storm's).
        idle_ms = 200 if self.kind == "embedded" else 100
        self._worker = brokers.start_worker(self.broker, threads, wanted or None, idle_ms)

    def _start_loop(self, first_grace: float | None) -> None:
        if self._loop is None:
            self._loop = MaintenanceLoop(self, first_grace, SHUTDOWN_TIMEOUT_MS / 1000)
            self._loop.start()

    # -- running one trigger -----------------------------------------------------------

    def execute(self, job_id: str) -> None:
        """Run the job a trigger names, if it can still be claimed (the dramatiq actor)."""
        job = self.store.get(job_id)
        if job is None:
            log.warning("job %s: trigger for a job that does not exist", job_id)
            return
        if job.status not in (JobStatus.QUEUED, JobStatus.PENDING):
            log.debug("job %s: trigger ignored, job is %s", job_id, job.status)
            return
        now = utcnow()
        if job.expires_at is not None and job.expires_at <= now:
            self._expire(job, now)
            return
        handler = self.handlers.get(job.type)
        if handler is None:
            # Plugins differ between processes (mid-upgrade, say): leave it to one that has it.
            log.warning(
                "job %s: no handler for %s in %s; left queued for another worker",
                job_id,
                job.type,
                self.worker_name,
            )
            return
        claimed = self.store.claim(
            job_id,
            self.worker_name,
            now,
            lease_until=now + timedelta(seconds=handler.timeout) + LEASE_MARGIN,
            not_before=now + EARLY_TOLERANCE,
        )
        if claimed is None:
            log.debug("job %s: trigger ignored, claimed elsewhere or not due", job_id)
            return
        self._moved(job, JobStatus.RUNNING, f"attempt {claimed.attempts}/{claimed.max_attempts}")
        started = time.monotonic()
        try:
            with logs.device_context(claimed.device_id):
                result = run_handler(handler, self.kernel, claimed.params)
        except (TimeLimitExceeded, TimeoutError):
            self._attempt_failed(claimed, f"timed out after {handler.timeout:g}s")
        except Exception:
            self._attempt_failed(claimed, traceback.format_exc())
        else:
            self._finish(claimed, JobStatus.DONE, result=result)
        finally:
            self.kernel.metrics.job_seconds.labels(job.type).observe(time.monotonic() - started)

    def _finish(
        self, job: Job, status: JobStatus, *, result: Any = None, error: str | None = None
    ) -> None:
        done = self.store.change(
            job.id,
            (JobStatus.RUNNING,),
            (col(Job.attempts) == job.attempts,),
            status=status,
            result=result,
            error=error,
            finished_at=utcnow(),
            lease_until=None,
        )
        if done:
            self._moved(job, status, _summary(error))
        else:
            log.warning(
                "job %s (%s): attempt %d finished after the job was cancelled or taken over;"
                " its outcome is discarded",
                job.id,
                job.type,
                job.attempts,
            )

    def _attempt_failed(self, job: Job, error: str) -> None:
        if job.attempts >= job.max_attempts:
            self._finish(job, JobStatus.FAILED, error=error)
            return
        delay = (
            0.0
            if self.kind == "inline"
            else backoff(
                job.attempts, self.config.retry_base_seconds, self.config.retry_max_seconds
            )
        )
        now = utcnow()
        retried = self.store.change(
            job.id,
            (JobStatus.RUNNING,),
            (col(Job.attempts) == job.attempts,),
            status=JobStatus.QUEUED,
            error=error,
            run_at=now + timedelta(seconds=delay),
            triggered_at=now,
            lease_until=None,
        )
        if not retried:
            log.warning(
                "job %s (%s): attempt %d failed after the job was cancelled or taken over",
                job.id,
                job.type,
                job.attempts,
            )
            return
        self._moved(job, JobStatus.QUEUED, f"retry in {delay:.1f}s after: {_summary(error)}")
        self._trigger(job.id, job.type, job.queue, delay)

    # -- helpers shared with the reconciler ----------------------------------------------

    def _dispatch(self, job: Job, now: datetime) -> bool:
        """Trigger a pending job that is due (soon enough for a delayed message)."""
        delay = (job.run_at - now).total_seconds() if job.run_at else 0.0
        if delay > 0 and (self.kind == "inline" or delay > DELAY_HORIZON.total_seconds()):
            return False
        if not self.store.change(
            job.id, (JobStatus.PENDING,), status=JobStatus.QUEUED, triggered_at=now
        ):
            return False
        self._moved(job, JobStatus.QUEUED, f"delayed {delay:.1f}s" if delay > 0 else "")
        self._trigger(job.id, job.type, job.queue, max(delay, 0.0))
        return True

    def _expire(self, job: Job, now: datetime) -> bool:
        expired = self.store.change(
            job.id,
            (JobStatus.PENDING, JobStatus.QUEUED),
            status=JobStatus.EXPIRED,
            finished_at=now,
            error=f"expired at {(job.expires_at or now).isoformat()} before it started",
        )
        if expired:
            self._moved(job, JobStatus.EXPIRED)
        return expired

    def _trigger(self, job_id: str, job_type: str, queue: str, delay: float = 0.0) -> None:
        """Send the message that makes a worker run the job (inline: run it now)."""
        if self.kind == "inline":
            self.execute(job_id)
            return
        handler = self.handlers.get(job_type)
        timeout = handler.timeout if handler else TaskHandler.timeout
        if handler is not None and _is_async(handler):
            timeout += LEASE_MARGIN.total_seconds()  # its own wait_for fires first
        name = self._queue_name(queue)
        message: Message[Any] = Message(
            queue_name=name,
            actor_name=ACTOR_NAME,
            args=(job_id,),
            kwargs={},
            options={"time_limit": int(timeout * 1000)},
        )
        try:
            broker = self.broker
            broker.declare_queue(name)
            broker.enqueue(message, delay=int(delay * 1000) if delay > 0 else None)
        except Exception as exc:
            # The row is safe: marked unsent, the next reconciler pass sends it again.
            self.store.change(job_id, (JobStatus.QUEUED,), triggered_at=None)
            log.error(
                "job %s (%s): trigger not sent to %s: %s",
                job_id,
                job_type,
                brokers.safe_url(self.url) or "the in-process broker",
                exc,
            )

    def _queue_name(self, queue: str) -> str:
        return self.config.queue_prefix + queue

    def _existing(self, job_id: str) -> Job:
        job = self.store.get(job_id)
        if job is None:
            raise JobNotFound(job_id)
        return job

    def _moved(self, job: Job, new: str, detail: str = "") -> None:
        log.info(
            "job %s (%s): %s -> %s%s",
            job.id,
            job.type,
            job.status,
            new,
            f": {detail}" if detail else "",
        )
        if new in FINISHED:
            self.kernel.metrics.jobs.labels(job.type, str(new)).inc()


def _is_async(handler: TaskHandler) -> bool:
    return inspect.iscoroutinefunction(handler.run)


def _check_json(job_type: str, params: Mapping[str, Any]) -> None:
    try:
        json.dumps(params)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"params of job {job_type} must be JSON: {exc}") from exc


def _summary(text: str | None) -> str:
    """The last line of an error (a traceback's exception line)."""
    if not text:
        return ""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


__all__ = ["UNFINISHED", "JobQueue", "JobSettings"]
