"""``rjchronos-sim olt`` as a process: it prints where it listens, serves, and stops on SIGINT."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

from click.testing import CliRunner

from rjchronos_sdk.sim.olt.cli import olt_command

RUN = "from rjchronos_sdk.sim.olt.cli import olt_command; olt_command()"


def test_the_command_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            RUN,
            "--vendor",
            "zte",
            "--ports",
            "1",
            "--onus",
            "2",
            "--ssh-port",
            "0",
            "--snmp-port",
            "0",
            "--seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        assert lines[0].startswith("zte OLT ZXAN: 1 ports, 2 ONUs")
        snmp_port = re.search(r"snmp 127\.0\.0\.1:(\d+)", lines[2])
        assert snmp_port is not None
        answer = subprocess.run(
            [
                "snmpget",
                "-v2c",
                "-c",
                "public",
                "-t",
                "2",
                "-r",
                "1",
                "-Ov",
                f"127.0.0.1:{snmp_port.group(1)}",
                "1.3.6.1.2.1.1.1.0",
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        assert "ZXA10 C320" in answer.stdout
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_bad_options_are_named() -> None:
    result = CliRunner().invoke(olt_command, ["--vendor", "nokia"])
    assert result.exit_code == 2
    assert "--vendor" in result.output
    result = CliRunner().invoke(olt_command, ["--onus", "500"])
    assert result.exit_code == 2 and "--onus" in result.output
