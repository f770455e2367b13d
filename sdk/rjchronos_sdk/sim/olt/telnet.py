"""The Telnet side of the virtual OLT: a small asyncio server running the same vendor shells.

It asks ``Username:`` and ``Password:`` as ZXAN and SmartAX do, drops the
client's option negotiation (IAC sequences) and then serves the shell with
the SSH side's line discipline and pager. A wrong login asks again, as the
OLTs do; three wrong ones close the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable

from rjchronos_sdk.sim.olt.shell import Shell
from rjchronos_sdk.sim.olt.ssh import Terminal, serve_shell
from rjchronos_sdk.sim.olt.state import OltState

#: IAC option negotiation and sub-negotiation, and single IAC commands.
_IAC = re.compile(rb"\xff\xfa.*?\xff\xf0|\xff[\xfb-\xfe].|\xff[\xf0-\xfa\xff]", re.DOTALL)
LOGIN_ATTEMPTS = 3


async def _login(terminal: Terminal, username: str, password: str) -> bool:
    for _ in range(LOGIN_ATTEMPTS):
        terminal.write("\nUsername:")
        given_user = await terminal.line()
        if given_user is None:
            return False
        terminal.write("Password:")
        given_password = await terminal.line(echo=False)
        if given_password is None:
            return False
        if (given_user, given_password) == (username, password):
            return True
        terminal.write("\n%Error 20209: Bad username or password.\n")
    return False


class TelnetService:
    """The listening Telnet server and its open connections."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening and close every open session."""
        if self.server is not None:
            self.server.close()
        for writer in list(self.writers):
            writer.close()
        if self.server is not None:
            await self.server.wait_closed()


async def start_telnet(
    state: OltState,
    make_shell: Callable[[], Shell],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    username: str = "admin",
    password: str = "admin",  # noqa: S107 - a lab device's well-known login
) -> TelnetService:
    """Listen for Telnet logins; ``port`` 0 picks a free port (see :attr:`TelnetService.port`)."""
    service = TelnetService()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def read() -> str:
            while True:
                data = await reader.read(4096)
                if not data:
                    return ""
                text = _IAC.sub(b"", data).decode("utf-8", "replace")
                if text:
                    return text

        terminal = Terminal(read, lambda text: writer.write(text.encode()))
        service.writers.add(writer)
        try:
            if await _login(terminal, username, password):
                await serve_shell(terminal, state, make_shell)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            service.writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()
                await writer.wait_closed()

    service.server = await asyncio.start_server(handle, host, port)
    return service


__all__ = ["TelnetService", "start_telnet"]
