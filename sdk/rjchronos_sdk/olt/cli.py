"""The SSH CLI of one OLT through scrapli (asyncssh), as the drivers' :class:`CliSession`.

One connection per OLT, opened on first use and reused; a lock lets one
command sequence at a time through it, so a write's mode changes never
interleave with a poll's. Failures raise
:class:`~rjchronos.drivers.olt_model.OltConnectionError` naming the OLT, and
drop the connection so the next use opens a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncssh
from scrapli.driver.generic import AsyncGenericDriver
from scrapli.exceptions import ScrapliAuthenticationFailed, ScrapliException, ScrapliTimeout

from rjchronos.drivers.olt_model import OltConnectionError


@dataclass(frozen=True)
class CliPlatform:
    """What a transport must know of a vendor's CLI.

    ``prompt`` matches every prompt the CLI shows, including its yes/no
    questions (a question ends a command's output like a prompt does);
    ``question`` tells the two apart; ``setup`` runs once after login.
    """

    prompt: str
    question: str
    setup: Sequence[str]
    login_answer: str = "n"
    #: The set-up line that may ask for a password (``enable``), what it asks with, and the
    #: prompt that shows it worked.
    enable_command: str = ""
    enable_question: str = r"[Pp]assword:\s?$"
    privileged_prompt: str = ""


#: The CLI transports, by scrapli transport name.
TRANSPORTS = {"ssh": "asyncssh", "telnet": "asynctelnet"}


@dataclass(frozen=True)
class CliSettings:
    """Where and how to log into one OLT."""

    host: str
    port: int = 22
    username: str = ""
    password: str = ""
    timeout: float = 10.0
    command_timeout: float = 30.0
    #: ``ssh`` or ``telnet``.
    transport: str = "ssh"
    enable_password: str = ""

    @classmethod
    def from_connection(cls, connection: Mapping[str, Any]) -> CliSettings:
        """Settings from a driver's connection mapping (``ssh_port``, ``username``, ...)."""
        timeout = float(connection.get("timeout", 10.0))
        transport = str(connection.get("transport") or "ssh")
        if transport not in TRANSPORTS:
            raise ValueError(f"transport {transport!r} is not one of {sorted(TRANSPORTS)}")
        port = connection.get("telnet_port", 23) if transport == "telnet" else None
        return cls(
            host=str(connection.get("host", "")),
            port=int(port if port is not None else connection.get("ssh_port", 22)),
            transport=transport,
            enable_password=str(connection.get("enable_password") or ""),
            username=str(connection.get("username", "")),
            password=str(connection.get("password", "")),
            timeout=timeout,
            command_timeout=float(connection.get("command_timeout", 3 * timeout)),
        )


class ScrapliCli:
    """A reused SSH or Telnet CLI session on one OLT (a :class:`CliSession` while held)."""

    def __init__(self, settings: CliSettings, platform: CliPlatform) -> None:
        self.settings = settings
        self.platform = platform
        self._lock = asyncio.Lock()
        self._conn: AsyncGenericDriver | None = None

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[ScrapliCli]:
        """Hold the OLT's CLI for one command sequence, connecting first if needed."""
        async with self._lock:
            if self._conn is None:
                self._conn = await self._connect()
            try:
                yield self
            except OltConnectionError:
                await self._drop()
                raise

    async def send(self, line: str) -> str:
        """Send one line and return what the OLT printed before its next prompt."""
        assert self._conn is not None, "send() is only used inside session()"
        try:
            response = await self._conn.send_command(line)
        except ScrapliTimeout as exc:
            raise OltConnectionError(
                self.where, f"no prompt within {self.settings.command_timeout:g}s after {line!r}"
            ) from exc
        except (ScrapliException, OSError, asyncssh.Error) as exc:
            raise OltConnectionError(self.where, f"the CLI session failed: {exc}") from exc
        return response.result

    async def _connect(self) -> AsyncGenericDriver:
        conn = AsyncGenericDriver(
            host=self.settings.host,
            port=self.settings.port,
            auth_username=self.settings.username,
            auth_password=self.settings.password,
            auth_strict_key=False,
            transport=TRANSPORTS[self.settings.transport],
            timeout_socket=self.settings.timeout,
            timeout_transport=self.settings.timeout,
            timeout_ops=self.settings.command_timeout,
            comms_prompt_pattern=self.platform.prompt,
            ssh_config_file=False,
        )
        try:
            await asyncio.wait_for(conn.open(), self.settings.timeout)
            await self._set_up(conn)
        except ScrapliAuthenticationFailed as exc:
            raise OltConnectionError(
                self.where, f"refused the login of {self.settings.username!r}: wrong credentials"
            ) from exc
        except OltConnectionError:
            await _quietly_close(conn)
            raise
        except (TimeoutError, ScrapliTimeout) as exc:
            await _quietly_close(conn)
            raise OltConnectionError(
                self.where, f"no {self._over} prompt within {self.settings.timeout:g}s"
            ) from exc
        except (ScrapliException, OSError, asyncssh.Error) as exc:
            await _quietly_close(conn)
            raise OltConnectionError(self.where, f"unreachable over {self._over}: {exc}") from exc
        return conn

    @property
    def _over(self) -> str:
        return "Telnet" if self.settings.transport == "telnet" else "SSH"

    async def _set_up(self, conn: AsyncGenericDriver) -> None:
        """Answer a login question if one is shown, then run the platform's set-up."""
        prompt = await conn.get_prompt()
        if re.search(self.platform.question, prompt):
            await conn.send_command(self.platform.login_answer)
        for line in self.platform.setup:
            if line == self.platform.enable_command and self.settings.enable_password:
                await self._enable(conn, line)
            else:
                await conn.send_command(line)

    async def _enable(self, conn: AsyncGenericDriver, line: str) -> None:
        """Run ``enable``, answer its password question, and check the privileged prompt."""
        await conn.send_interactive(
            [
                (line, self.platform.enable_question, False),
                (self.settings.enable_password, self.platform.prompt, True),
            ]
        )
        prompt = await conn.get_prompt()
        if self.platform.privileged_prompt and not re.search(
            self.platform.privileged_prompt, prompt
        ):
            raise OltConnectionError(self.where, "refused the enable password")

    async def _drop(self) -> None:
        if self._conn is not None:
            await _quietly_close(self._conn)
            self._conn = None

    async def close(self) -> None:
        """Log out and close the connection."""
        async with self._lock:
            await self._drop()


async def _quietly_close(conn: AsyncGenericDriver) -> None:
    # Closing a half-open or dead connection may fail again; there is nothing left to save.
    with contextlib.suppress(Exception):
        await conn.close()
