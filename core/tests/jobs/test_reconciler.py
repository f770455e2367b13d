"""The reconciler recovers jobs whose worker died mid-run."""

from __future__ import annotations

from datetime import timedelta

from rjchronos.db.types import utcnow


def _claimed_by_a_dead_worker(kernel, job_type: str, params: dict) -> str:
    """A job that a worker claimed and then died with: running, its lease run out."""
    job_id = kernel.jobs.enqueue(job_type, params, run_at=utcnow() + timedelta(hours=1))
    kernel.jobs.store.change(job_id, ("pending",), status="queued", run_at=None)
    now = utcnow()
    claimed = kernel.jobs.store.claim(
        job_id,
        "dead-host:1234",
        now - timedelta(minutes=10),
        lease_until=now - timedelta(seconds=1),
        not_before=now,
    )
    assert claimed is not None and claimed.status == "running"
    return job_id


def test_a_running_job_whose_lease_ran_out_runs_again(make_kernel, lab):
    kernel = make_kernel(lab)
    job_id = _claimed_by_a_dead_worker(kernel, "lab.add", {"a": 1, "b": 1})

    counts = kernel.jobs.reconcile()
    assert counts["recovered"] == 1
    job = kernel.jobs.get(job_id)
    assert (job.status, job.attempts, job.result) == ("done", 2, {"sum": 2})
    assert job.worker != "dead-host:1234"
    assert lab.count("lab.add") == 1


def test_a_live_lease_is_left_alone(make_kernel, lab):
    kernel = make_kernel(lab)
    job_id = kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1}, run_at=utcnow() + timedelta(hours=1))
    kernel.jobs.store.change(job_id, ("pending",), status="queued", run_at=None)
    now = utcnow()
    kernel.jobs.store.claim(
        job_id, "busy-host:1", now, lease_until=now + timedelta(minutes=5), not_before=now
    )

    assert kernel.jobs.reconcile()["recovered"] == 0
    assert kernel.jobs.get(job_id).status == "running"
    assert lab.count("lab.add") == 0


def test_a_lost_last_attempt_fails_the_job(make_kernel, lab):
    kernel = make_kernel(lab)
    job_id = _claimed_by_a_dead_worker(kernel, "lab.add", {"a": 1, "b": 1})
    kernel.jobs.store.change(job_id, ("running",), attempts=3)

    assert kernel.jobs.reconcile()["failed"] == 1
    job = kernel.jobs.get(job_id)
    assert job.status == "failed"
    assert "worker dead-host:1234 lost" in job.error
    assert lab.count("lab.add") == 0


def test_a_late_result_of_a_taken_over_attempt_is_discarded(make_kernel, lab):
    kernel = make_kernel(lab)
    job_id = _claimed_by_a_dead_worker(kernel, "lab.add", {"a": 1, "b": 1})
    stale = kernel.jobs.get(job_id)
    kernel.jobs.reconcile()  # attempt 2 runs and finishes

    # The "dead" worker of attempt 1 comes back and reports.
    kernel.jobs._finish(stale, "failed", error="too late")
    job = kernel.jobs.get(job_id)
    assert (job.status, job.attempts, job.error) == ("done", 2, None)


def test_cancelling_a_running_job_discards_its_outcome(make_kernel, lab):
    kernel = make_kernel(lab)
    job_id = _claimed_by_a_dead_worker(kernel, "lab.add", {"a": 1, "b": 1})
    running = kernel.jobs.get(job_id)

    assert kernel.jobs.cancel(job_id).status == "cancelled"
    kernel.jobs._finish(running, "done", result={"sum": 2})
    assert kernel.jobs.get(job_id).status == "cancelled"
    assert kernel.jobs.reconcile()["recovered"] == 0


def test_a_process_without_the_handler_leaves_the_job_queued(make_kernel, lab):
    with_plugin = make_kernel(lab)
    without_plugin = make_kernel()
    job_id = with_plugin.jobs.enqueue(
        "lab.add", {"a": 1, "b": 1}, run_at=utcnow() + timedelta(hours=1)
    )
    with_plugin.jobs.store.change(job_id, ("pending",), status="queued", run_at=None)

    without_plugin.jobs.execute(job_id)
    job = without_plugin.jobs.get(job_id)
    assert (job.status, job.attempts) == ("queued", 0)

    with_plugin.jobs.execute(job_id)
    assert with_plugin.jobs.get(job_id).result == {"sum": 2}
