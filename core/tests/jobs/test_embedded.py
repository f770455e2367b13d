"""The embedded default: an in-memory dramatiq broker and a worker in threads of this process."""

from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta

from rjchronos.db.types import utcnow
from rjchronos.jobs.queue import ACTOR_NAME


def test_in_process_worker_runs_a_job(make_kernel, lab):
    kernel = make_kernel(lab, broker_url="")
    kernel.jobs.start_in_process()
    job_id = kernel.jobs.enqueue("lab.add", {"a": 20, "b": 22})

    job = kernel.jobs.wait(job_id, timeout=30)
    assert (job.status, job.result) == ("done", {"sum": 42})
    assert job.worker == f"{socket.gethostname()}:{os.getpid()}"
    assert lab.kernels("lab.add") == [kernel]


def test_in_process_worker_retries_with_backoff(make_kernel, lab):
    kernel = make_kernel(lab, broker_url="", retry_base_seconds=0.05, retry_max_seconds=0.1)
    kernel.jobs.start_in_process()
    job = kernel.jobs.wait(kernel.jobs.enqueue("lab.flaky", {}), timeout=30)
    assert (job.status, job.attempts, job.result) == ("done", 3, "ok")


def test_a_sync_handler_over_its_time_limit_is_interrupted(make_kernel, lab):
    kernel = make_kernel(lab, broker_url="")
    kernel.jobs.start_in_process()
    job = kernel.jobs.wait(kernel.jobs.enqueue("lab.stuck", {}), timeout=30)
    assert (job.status, job.error) == ("failed", "timed out after 0.3s")
    assert not lab.release.is_set()


def test_async_handler_runs_in_a_worker_thread(make_kernel, lab):
    kernel = make_kernel(lab, broker_url="")
    kernel.jobs.start_in_process()
    job = kernel.jobs.wait(kernel.jobs.enqueue("lab.async_add", {"a": 1, "b": 2}), timeout=30)
    assert (job.status, job.result["sum"]) == ("done", 3)


def test_role_all_startup_starts_the_worker_and_shutdown_stops_it(make_kernel, lab):
    import asyncio

    kernel = make_kernel(lab, broker_url="")
    asyncio.run(kernel.start())
    try:
        job = kernel.jobs.wait(kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1}), timeout=30)
        assert job.status == "done"
    finally:
        asyncio.run(kernel.stop())
    assert kernel.jobs._worker is None and kernel.jobs._loop is None


def test_role_api_leaves_the_jobs_to_a_process_with_role_all(make_kernel, lab):
    import asyncio

    api = make_kernel(lab, broker_url="", role="api")
    asyncio.run(api.start())
    try:
        job_id = api.jobs.enqueue("lab.add", {"a": 1, "b": 1})
        assert api.jobs._worker is None and api.jobs._loop is None
        assert api.jobs.get(job_id).status == "queued"
    finally:
        asyncio.run(api.stop())

    everything = make_kernel(lab, broker_url="", role="all")
    asyncio.run(everything.start())
    try:
        assert everything.jobs.wait(job_id, timeout=30).result == {"sum": 2}
    finally:
        asyncio.run(everything.stop())


def test_a_message_delivered_twice_runs_the_job_once(make_kernel, lab):
    kernel = make_kernel(lab, broker_url="")
    job_id = kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1})
    assert kernel.jobs.get(job_id).status == "queued"  # no worker yet: the message waits

    broker = kernel.jobs.broker
    queue = broker.queues["default"]
    (encoded,) = list(queue.queue)
    for _ in range(3):
        queue.put(encoded)  # the same message, delivered again and again
    kernel.jobs.start_in_process()

    job = kernel.jobs.wait(job_id, timeout=30)
    kernel.jobs.stop()  # drains the worker: every delivery has been handled
    assert (job.status, job.attempts) == ("done", 1)
    assert lab.count("lab.add") == 1


def test_concurrent_deliveries_claim_the_job_once(make_kernel, lab):
    kernel = make_kernel(lab, broker_url="")
    job_id = kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1})
    barrier = threading.Barrier(8)

    def deliver() -> None:
        barrier.wait()
        kernel.jobs.execute(job_id)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert lab.count("lab.add") == 1
    assert kernel.jobs.get(job_id).attempts == 1


def test_two_kernels_in_one_process_keep_their_own_brokers(make_kernel, lab, tmp_path):
    import dramatiq.broker

    global_broker = dramatiq.broker.global_broker
    first = make_kernel(lab, broker_url="")  # two applications, each with its own database
    second = make_kernel(lab, broker_url="", database_url=f"sqlite:///{tmp_path / 'other.db'}")
    assert first.jobs.broker is not second.jobs.broker
    assert first.jobs.broker.actors[ACTOR_NAME].fn.__self__ is first.jobs
    first.jobs.start_in_process()
    second.jobs.start_in_process()

    one = first.jobs.enqueue("lab.add", {"a": 1, "b": 0})
    two = second.jobs.enqueue("lab.add", {"a": 2, "b": 0})
    assert first.jobs.wait(one).status == "done"
    assert second.jobs.wait(two).status == "done"
    by_sum = {params["a"]: kernel for _, params, kernel in lab.runs}
    assert by_sum == {1: first, 2: second}

    assert dramatiq.broker.global_broker is global_broker  # no global state touched


def test_crash_recovery_re_sends_what_the_dead_broker_held(make_kernel, lab):
    crashed = make_kernel(lab, broker_url="")
    job_id = crashed.jobs.enqueue("lab.add", {"a": 40, "b": 2})
    assert crashed.jobs.get(job_id).status == "queued"
    # The process dies here: its in-memory broker, and the message, are gone with it.

    restarted = make_kernel(lab, broker_url="")
    restarted.jobs.start_in_process()
    job = restarted.jobs.wait(job_id, timeout=30)
    assert (job.status, job.result, job.attempts) == ("done", {"sum": 42}, 1)
    assert lab.kernels("lab.add") == [restarted]


def test_the_reconciler_re_sends_a_lost_trigger(make_kernel, lab):
    kernel = make_kernel(lab, broker_url="", tick_seconds=3600)
    job_id = kernel.jobs.enqueue("lab.add", {"a": 1, "b": 2})
    kernel.jobs.broker.flush_all()  # the message is lost
    kernel.jobs.start_in_process()  # the first pass re-sends it (embedded: nothing survived)
    assert kernel.jobs.wait(job_id, timeout=30).status == "done"

    # Later on, a trigger lost while running re-sent only after the grace period.
    kernel.jobs.stop()
    other = kernel.jobs.enqueue("lab.add", {"a": 2, "b": 2})
    kernel.jobs.broker.flush_all()
    assert kernel.jobs.reconcile(grace=60)["resent"] == 0
    assert kernel.jobs.reconcile(now=utcnow() + timedelta(seconds=61), grace=60)["resent"] == 1
    kernel.jobs.start_in_process()
    assert kernel.jobs.wait(other, timeout=30).result == {"sum": 4}
