"""Enqueueing and running jobs on the inline broker: results, retries, dedup, cancel, expiry."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from rjchronos import hookimpl
from rjchronos.config import Settings
from rjchronos.db.types import utcnow
from rjchronos.jobs.errors import JobNotFound, JobStateConflict, UnknownJobType
from rjchronos.jobs.models import Job
from rjchronos.jobs.spec import Schedule, TaskHandler
from rjchronos.kernel import Kernel

from .conftest import Lab


def test_enqueue_runs_inline_and_stores_the_result(make_kernel, lab):
    kernel = make_kernel(lab)
    job_id = kernel.jobs.enqueue("lab.add", {"a": 2, "b": 3}, device_id="dev-1")

    job = kernel.jobs.get(job_id)
    assert job is not None
    assert (job.status, job.result, job.attempts, job.error) == ("done", {"sum": 5}, 1, None)
    assert job.device_id == "dev-1"
    assert job.started_at is not None and job.finished_at is not None
    assert job.lease_until is None
    assert lab.kernels("lab.add") == [kernel]
    done = kernel.metrics.jobs.labels("lab.add", "done")._value.get()
    assert done == 1


def test_async_handler_runs_on_an_event_loop(make_kernel, lab):
    kernel = make_kernel(lab)
    job = kernel.jobs.get(kernel.jobs.enqueue("lab.async_add", {"a": 1, "b": 1}))
    assert job.status == "done"
    assert job.result["sum"] == 2
    assert "EventLoop" in job.result["loop"]


def test_async_handler_enqueued_from_async_code_runs_inline(make_kernel, lab):
    kernel = make_kernel(lab)

    async def from_a_coroutine() -> str:
        return kernel.jobs.enqueue("lab.async_add", {"a": 4, "b": 1})

    job = kernel.jobs.get(asyncio.run(from_a_coroutine()))
    assert (job.status, job.result["sum"]) == ("done", 5)


def test_unknown_type_names_the_known_types(make_kernel, lab):
    kernel = make_kernel(lab)
    with pytest.raises(UnknownJobType) as caught:
        kernel.jobs.enqueue("lab.nope", {})
    message = str(caught.value)
    assert "'lab.nope'" in message
    assert "lab.add" in message and "jobs.purge" in message
    with kernel.db.session() as session:
        assert session.exec(select(Job).where(Job.type == "lab.nope")).first() is None


def test_bad_params_and_queue_are_refused(make_kernel, lab):
    kernel = make_kernel(lab)
    with pytest.raises(ValueError, match="params of job lab.add must be JSON"):
        kernel.jobs.enqueue("lab.add", {"a": object()})
    with pytest.raises(ValueError, match="queue name '9 bad'"):
        kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1}, queue="9 bad")
    with pytest.raises(ValueError, match="run_at of job lab.add: use a timezone-aware time"):
        kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1}, run_at=utcnow().replace(tzinfo=None))


def test_failures_are_retried_then_failed_with_the_traceback(make_kernel, lab):
    kernel = make_kernel(lab)
    job = kernel.jobs.get(kernel.jobs.enqueue("lab.broken", {}))
    assert job.status == "failed"
    assert job.attempts == 3 == lab.count("lab.broken")
    assert "Traceback" in job.error and "ValueError: bad vendor reply" in job.error
    assert kernel.metrics.jobs.labels("lab.broken", "failed")._value.get() == 1


def test_a_flaky_job_succeeds_on_a_later_attempt(make_kernel, lab):
    kernel = make_kernel(lab)
    job = kernel.jobs.get(kernel.jobs.enqueue("lab.flaky", {}))
    assert (job.status, job.attempts, job.result) == ("done", 3, "ok")
    assert job.error is None


def test_async_handler_over_its_timeout_fails(make_kernel, lab):
    kernel = make_kernel(lab)
    job = kernel.jobs.get(kernel.jobs.enqueue("lab.hung", {}))
    assert job.status == "failed"
    assert job.error == "timed out after 0.2s"


def test_a_result_that_is_not_json_fails_the_job(make_kernel, lab):
    kernel = make_kernel(lab)
    job = kernel.jobs.get(kernel.jobs.enqueue("lab.not_json", {}))
    assert job.status == "failed"
    assert "returned a result that is not JSON" in job.error


def test_dedup_key_returns_the_unfinished_job(make_kernel, lab):
    kernel = make_kernel(lab)
    later = utcnow() + timedelta(hours=1)
    first = kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1}, dedup_key="poll:olt-1", run_at=later)
    again = kernel.jobs.enqueue("lab.add", {"a": 9, "b": 9}, dedup_key="poll:olt-1", run_at=later)
    assert again == first
    assert kernel.jobs.get(first).params == {"a": 1, "b": 1}

    kernel.jobs.cancel(first)
    fresh = kernel.jobs.enqueue("lab.add", {"a": 2, "b": 2}, dedup_key="poll:olt-1")
    assert fresh != first
    assert kernel.jobs.get(fresh).status == "done"
    # Finished jobs free the key.
    assert kernel.jobs.enqueue("lab.add", {"a": 3, "b": 3}, dedup_key="poll:olt-1") not in (
        first,
        fresh,
    )


def test_dedup_key_holds_under_concurrent_enqueues(make_kernel, lab):
    kernel = make_kernel(lab)
    later = utcnow() + timedelta(hours=1)
    barrier = threading.Barrier(6)
    ids: list[str] = []

    def enqueue() -> None:
        barrier.wait()
        ids.append(kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1}, dedup_key="one", run_at=later))

    threads = [threading.Thread(target=enqueue) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(ids) == 6 and len(set(ids)) == 1
    with kernel.db.session() as session:
        assert len(session.exec(select(Job).where(Job.dedup_key == "one")).all()) == 1


def test_cancel_a_waiting_job(make_kernel, lab):
    kernel = make_kernel(lab)
    job_id = kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1}, run_at=utcnow() + timedelta(hours=1))
    assert kernel.jobs.get(job_id).status == "pending"

    cancelled = kernel.jobs.cancel(job_id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    kernel.jobs.reconcile(now=utcnow() + timedelta(hours=2))
    assert kernel.jobs.get(job_id).status == "cancelled"
    assert lab.count("lab.add") == 0

    with pytest.raises(JobStateConflict, match="already cancelled"):
        kernel.jobs.cancel(job_id)
    with pytest.raises(JobNotFound):
        kernel.jobs.cancel("01NOSUCHJOB0000000000000000")


def test_run_at_in_the_future_waits_for_the_reconciler(make_kernel, lab):
    kernel = make_kernel(lab)
    run_at = utcnow() + timedelta(minutes=30)
    job_id = kernel.jobs.enqueue("lab.add", {"a": 1, "b": 2}, run_at=run_at)
    assert kernel.jobs.reconcile(now=run_at - timedelta(minutes=1))["dispatched"] == 0
    assert kernel.jobs.get(job_id).status == "pending"

    # Half an hour passes.
    kernel.jobs.store.change(job_id, ("pending",), run_at=utcnow() - timedelta(seconds=1))
    assert kernel.jobs.reconcile()["dispatched"] == 1
    assert kernel.jobs.get(job_id).result == {"sum": 3}


def test_expired_jobs_are_marked_expired_not_run(make_kernel, lab):
    kernel = make_kernel(lab)
    stale = kernel.jobs.enqueue(
        "lab.add", {"a": 1, "b": 1}, expires_at=utcnow() - timedelta(seconds=1)
    )
    job = kernel.jobs.get(stale)
    assert job.status == "expired" and "before it started" in job.error

    waiting = kernel.jobs.enqueue(
        "lab.add",
        {"a": 1, "b": 1},
        run_at=utcnow() + timedelta(hours=1),
        expires_at=utcnow() + timedelta(minutes=30),
    )
    counts = kernel.jobs.reconcile(now=utcnow() + timedelta(hours=1))
    assert counts["expired"] == 1 and counts["dispatched"] == 0
    assert kernel.jobs.get(waiting).status == "expired"
    assert lab.count("lab.add") == 0
    assert kernel.metrics.jobs.labels("lab.add", "expired")._value.get() == 2


def test_retry_runs_a_failed_job_again(make_kernel, lab):
    kernel = make_kernel(lab)
    lab.flaky_failures = 3
    job_id = kernel.jobs.enqueue("lab.flaky", {})
    assert kernel.jobs.get(job_id).status == "failed"

    job = kernel.jobs.retry(job_id)
    assert (job.status, job.attempts, job.result, job.error) == ("done", 1, "ok", None)
    with pytest.raises(JobStateConflict, match="only failed or expired jobs are retried"):
        kernel.jobs.retry(job_id)


def test_purge_deletes_only_old_finished_jobs(make_kernel, lab):
    kernel = make_kernel(lab)
    old = kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1})
    waiting = kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1}, run_at=utcnow() + timedelta(days=1))
    kernel.jobs.store.change(old, ("done",), finished_at=utcnow() - timedelta(days=40))
    recent = kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1})

    purge = kernel.jobs.get(kernel.jobs.enqueue("jobs.purge", {}))
    assert (purge.status, purge.result) == ("done", {"deleted": 1})
    assert kernel.jobs.get(old) is None
    assert kernel.jobs.get(recent).status == "done"
    assert kernel.jobs.get(waiting).status == "pending"


def test_two_handlers_for_one_type_stop_start_up(tmp_path, lab):
    class Rival:
        @hookimpl
        def rjc_task_handlers(self, kernel):
            return [TaskHandler("lab.add", lambda kernel, params: None)]

    with pytest.raises(RuntimeError, match="job type lab.add has two handlers: from .* and from"):
        Kernel(
            Settings(home=tmp_path, database_url="sqlite://", broker_url="inline:"),
            plugins={"lab": lab, "rival": Rival()},
            entrypoints=False,
        )


def test_a_schedule_declared_twice_stops_start_up(make_kernel):
    twice = [Schedule("tick", "lab.tick", every=timedelta(minutes=1))] * 2
    with pytest.raises(ValueError, match="schedule tick is declared twice"):
        make_kernel(Lab(schedules=twice))
