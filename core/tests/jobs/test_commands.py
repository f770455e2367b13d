"""``rjchronos worker`` and ``serve`` running jobs in real processes, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from click.testing import CliRunner

from rjchronos.cli.main import cli
from rjchronos.db.types import utcnow


@pytest.mark.parametrize(
    ("broker_url", "expected"),
    [
        ("", "no broker configured: set RJC_BROKER_URL"),
        ("inline:", "rjchronos worker needs a redis:// or amqp:// broker, not 'inline:'"),
        ("redis://127.0.0.1:1/0", "the broker at redis://127.0.0.1:1/0 does not answer"),
        ("kafka://broker/", "setting broker_url: cannot use 'kafka://broker/'"),
    ],
)
def test_worker_refuses_without_a_working_shared_broker(tmp_path, broker_url, expected):
    env = {"RJC_HOME": str(tmp_path), "RJC_BROKER_URL": broker_url, "RJC_AUTOLOAD_PLUGINS": "false"}
    result = CliRunner().invoke(cli, ["worker"], env=env)
    assert result.exit_code == 1
    assert expected in result.output


def test_worker_process_runs_jobs_until_sigterm(
    make_kernel, lab, redis_url, queue_prefix, tmp_path
):
    finished = make_kernel(lab).jobs.enqueue("lab.add", {"a": 1, "b": 1})  # inline: done
    producer = make_kernel(lab, broker_url=redis_url, queue_prefix=queue_prefix)
    config = tmp_path / "rjchronos.toml"
    config.write_text(
        f'[plugins."builtin.jobs"]\nqueue_prefix = "{queue_prefix}"\ntick_seconds = 0.5\n'
    )
    env = {
        **os.environ,
        "RJC_CONFIG": str(config),
        "RJC_HOME": str(tmp_path / "home"),
        "RJC_DATABASE_URL": producer.settings.database_url,
        "RJC_BROKER_URL": redis_url,
        "RJC_AUTOLOAD_PLUGINS": "false",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from rjchronos.cli import main; main()",
            "worker",
            "--threads",
            "2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # The worker process has only the built-in plugins: it runs the purge job.
        purge = producer.jobs.enqueue("jobs.purge", {"older_than_days": 0})
        job = producer.jobs.wait(purge, timeout=60)
        assert (job.status, job.result) == ("done", {"deleted": 1})
        assert job.worker.endswith(f":{worker.pid}")
        assert producer.jobs.get(finished) is None
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    assert "Traceback" not in output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_runs_what_a_crashed_server_left_queued(make_kernel, lab, tmp_path):
    crashed = make_kernel(lab, broker_url="")  # embedded: the message dies with this "process"
    old = make_kernel(lab).jobs.enqueue("lab.add", {"a": 1, "b": 1})  # inline: done
    crashed.jobs.store.change(old, ("done",), finished_at=utcnow() - timedelta(days=31))
    purge = crashed.jobs.enqueue("jobs.purge", {})
    assert crashed.jobs.get(purge).status == "queued"

    env = {
        **os.environ,
        "RJC_HOME": str(tmp_path / "home"),
        "RJC_DATABASE_URL": crashed.settings.database_url,
        "RJC_BROKER_URL": "",
        "RJC_AUTOLOAD_PLUGINS": "false",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from rjchronos.cli import main; main()",
            "serve",
            "--port",
            str(_free_port()),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        job = crashed.jobs.wait(purge, timeout=60)
        assert (job.status, job.result) == ("done", {"deleted": 1})
        assert job.worker.endswith(f":{server.pid}")
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Finished server process" in output and "Traceback" not in output
