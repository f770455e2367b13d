"""An SSH client that drives the virtual OLT like an operator, and SNMP walk helpers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from rjchronos_sdk.sim.olt import OltSimulator

DATA = Path(__file__).parent / "data"
PROMPT = r"[\w\-()/.]+[>#] ?"
TIMEOUT = 5


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Cli:
    """One interactive SSH session with a pty, reading up to the next prompt."""

    def __init__(
        self, conn: asyncssh.SSHClientConnection, process: asyncssh.SSHClientProcess
    ) -> None:
        self.conn, self.process = conn, process
        self.buffer = ""

    @classmethod
    async def open(cls, simulator: OltSimulator, password: str = "admin") -> tuple[Cli, str]:
        conn = await asyncssh.connect(
            "127.0.0.1",
            simulator.ssh_port,
            username="admin",
            password=password,
            known_hosts=None,
        )
        process = await conn.create_process(term_type="vt100")
        cli = cls(conn, process)
        banner = await cli.read_until(PROMPT)
        return cli, banner

    async def read_until(self, pattern: str) -> str:
        """Everything up to and including ``pattern`` at the end of the output."""
        end = re.compile(f"(?:{pattern})\\Z")
        while not end.search(self.buffer):
            data = await asyncio.wait_for(self.process.stdout.read(65536), TIMEOUT)
            if not data:
                raise EOFError(f"the session closed; output so far: {self.buffer!r}")
            self.buffer += data.replace("\r\n", "\n")
        text, self.buffer = self.buffer, ""
        return text

    async def send(self, line: str, expect: str = PROMPT) -> str:
        """Type ``line``; the output between its echo and ``expect`` (the prompt by default)."""
        self.process.stdin.write(line + "\n")
        text = await self.read_until(expect)
        echo, _, rest = text.partition("\n")
        assert echo.endswith(line), f"no echo of {line!r} in {text!r}"
        return re.sub(f"(?:{expect})\\Z", "", rest) if expect == PROMPT else rest

    async def prompt_after(self, line: str) -> str:
        """Type ``line`` and return the prompt that follows."""
        self.process.stdin.write(line + "\n")
        text = await self.read_until(PROMPT)
        found = re.search(f"({PROMPT})\\Z", text)
        assert found is not None
        return found.group(1)

    async def close(self) -> None:
        self.process.close()
        self.conn.close()
        await self.conn.wait_closed()


@pytest.fixture
async def huawei() -> AsyncIterator[OltSimulator]:
    async with OltSimulator("huawei", ports=2, onus_per_port=4, seed=7, drift_interval=0) as sim:
        yield sim


@pytest.fixture
async def zte() -> AsyncIterator[OltSimulator]:
    async with OltSimulator("zte", ports=2, onus_per_port=4, seed=7, drift_interval=0) as sim:
        yield sim


async def snmpbulkwalk(
    simulator: OltSimulator, oid: str, community: str = "public", *, hex_strings: bool = False
) -> dict[str, str]:
    """net-snmp's snmpbulkwalk of one subtree: {numeric OID: value text}.

    ``hex_strings`` prints every OCTET STRING in hex (serials are binary).
    """
    process = await asyncio.create_subprocess_exec(
        "snmpbulkwalk",
        "-v2c",
        "-c",
        community,
        "-On",
        "-Oe",
        *(["-Ox"] if hex_strings else []),
        "-Cr25",
        "-t",
        "2",
        "-r",
        "0",
        f"127.0.0.1:{simulator.snmp_port}",
        oid,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), TIMEOUT)
    assert process.returncode == 0, err.decode()
    result = {}
    for line in out.decode().splitlines():
        name, _, value = line.partition(" = ")
        result[name.lstrip(".")] = value
    return result
