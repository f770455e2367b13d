"""Shared brokers: a worker in threads runs jobs that another process enqueued."""

from __future__ import annotations

import threading

import pytest

from rjchronos.config import ConfigError
from rjchronos.jobs.brokers import broker_kind, safe_url
from rjchronos.jobs.errors import BrokerUnavailable


def _run_worker_in_a_thread(kernel, **options) -> threading.Thread:
    thread = threading.Thread(target=kernel.jobs.run_worker, kwargs={"threads": 2, **options})
    thread.start()
    return thread


def _exercise(make_kernel, lab, broker_url: str, queue_prefix: str) -> None:
    producer = make_kernel(lab, broker_url=broker_url, queue_prefix=queue_prefix)
    worker = make_kernel(
        lab,
        broker_url=broker_url,
        queue_prefix=queue_prefix,
        retry_base_seconds=0.05,
        retry_max_seconds=0.1,
    )
    producer.jobs.ping()
    thread = _run_worker_in_a_thread(worker)
    try:
        added = producer.jobs.enqueue("lab.add", {"a": 19, "b": 23})
        flaky = producer.jobs.enqueue("lab.flaky", {})
        gated = producer.jobs.enqueue("lab.gated", {})  # its own queue, lab-slow
        assert producer.jobs.wait(added, timeout=60).result == {"sum": 42}
        job = producer.jobs.wait(flaky, timeout=60)  # retried through delayed messages
        assert (job.status, job.attempts) == ("done", 3)
        assert lab.entered.wait(timeout=60)
        lab.release.set()
        assert producer.jobs.wait(gated, timeout=60).result == "released"
    finally:
        worker.jobs.stop()
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert set(lab.kernels("lab.add") + lab.kernels("lab.flaky")) == {worker}


def test_redis_worker_runs_jobs(make_kernel, lab, redis_url, queue_prefix):
    _exercise(make_kernel, lab, redis_url, queue_prefix)


def test_rabbitmq_worker_runs_jobs(make_kernel, lab, rabbitmq_url, queue_prefix):
    _exercise(make_kernel, lab, rabbitmq_url, queue_prefix)


def test_worker_limited_to_a_queue_leaves_the_others(make_kernel, lab, redis_url, queue_prefix):
    producer = make_kernel(lab, broker_url=redis_url, queue_prefix=queue_prefix)
    worker = make_kernel(lab, broker_url=redis_url, queue_prefix=queue_prefix)
    thread = _run_worker_in_a_thread(worker, queues=["lab-slow"])
    try:
        added = producer.jobs.enqueue("lab.add", {"a": 1, "b": 1})
        lab.release.set()
        gated = producer.jobs.enqueue("lab.gated", {})
        assert producer.jobs.wait(gated, timeout=60).status == "done"
        assert producer.jobs.get(added).status == "queued"
    finally:
        worker.jobs.stop()
        thread.join(timeout=60)


def test_ping_names_a_broker_that_does_not_answer(make_kernel, lab):
    for url in ("redis://127.0.0.1:1/0", "amqp://guest:secret@127.0.0.1:1/"):
        kernel = make_kernel(lab, broker_url=url)
        with pytest.raises(BrokerUnavailable) as caught:
            kernel.jobs.ping()
        assert "does not answer" in str(caught.value)
        assert "127.0.0.1:1" in str(caught.value) and "secret" not in str(caught.value)


def test_a_trigger_that_could_not_be_sent_is_re_sent_by_a_worker(
    make_kernel, lab, redis_url, queue_prefix, caplog
):
    cut_off = make_kernel(lab, broker_url="redis://127.0.0.1:1/0", queue_prefix=queue_prefix)
    job_id = cut_off.jobs.enqueue("lab.add", {"a": 1, "b": 1})
    job = cut_off.jobs.get(job_id)
    assert (job.status, job.triggered_at) == ("queued", None)  # stored, marked unsent
    assert f"job {job_id} (lab.add): trigger not sent to redis://127.0.0.1:1/0" in caplog.text

    worker = make_kernel(lab, broker_url=redis_url, queue_prefix=queue_prefix)
    thread = _run_worker_in_a_thread(worker)
    try:
        assert worker.jobs.wait(job_id, timeout=60).result == {"sum": 2}
    finally:
        worker.jobs.stop()
        thread.join(timeout=60)


def test_broker_urls_are_checked():
    assert broker_kind("") == "embedded"
    assert broker_kind("inline:") == "inline"
    assert broker_kind("rediss://h:6380/1") == "redis"
    assert broker_kind("amqps://u:p@h/") == "amqp"
    with pytest.raises(ConfigError, match=r"setting broker_url: cannot use 'kafka://u:\*\*\*@h/'"):
        broker_kind("kafka://u:p@h/")
    assert safe_url("amqp://guest:guest@127.0.0.1:5672/") == "amqp://guest:***@127.0.0.1:5672/"
