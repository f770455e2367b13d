"""Structured logs: JSON lines with the request and device ids; X-Request-ID echoed."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

from rjchronos import logs


def test_json_lines_carry_the_ids_in_context() -> None:
    record = logging.LogRecord(
        "rjchronos.acs", logging.WARNING, __file__, 1, "CPE %s", ("x",), None
    )
    formatter = logs.JsonFormatter()
    assert json.loads(formatter.format(record)).keys() == {"time", "level", "logger", "message"}
    token = logs.request_id.set("req-1")
    try:
        with logs.device_context("01DEVICE"):
            line = json.loads(formatter.format(record))
    finally:
        logs.request_id.reset(token)
    assert line["message"] == "CPE x"
    assert (line["level"], line["logger"]) == ("WARNING", "rjchronos.acs")
    assert (line["request_id"], line["device_id"]) == ("req-1", "01DEVICE")


def test_every_response_carries_a_request_id(rjc_client_factory: Any) -> None:
    client = rjc_client_factory("admin")
    kept = client.get("/api/v1/devices", headers={"X-Request-ID": "lb-7f3a:9"})
    assert kept.headers["x-request-id"] == "lb-7f3a:9"
    made = client.get("/api/v1/devices", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert made.headers["x-request-id"] != "<script>alert(1)</script>"
    assert len(made.headers["x-request-id"]) == 16
    assert client.get("/healthz").headers["x-request-id"]


def test_the_cli_logs_json_lines(tmp_path: Path) -> None:
    rjchronos = Path(sys.executable).with_name("rjchronos")
    environ = {"RJC_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [str(rjchronos), "--log-format", "json", "-v", "db", "upgrade"],
        capture_output=True, text=True, env=environ, timeout=120, check=True,
    )  # fmt: skip
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert lines, done.stderr
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
