"""The SSH side of the virtual OLT: an asyncssh server that runs a vendor shell per session.

The server does its own line discipline (echo, backspace, CR/LF) instead of
asyncssh's line editor, because the pager must read single key presses the way
an OLT does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

import asyncssh

from rjchronos_sdk.sim.olt.shell import Reply, Shell
from rjchronos_sdk.sim.olt.state import OltState, Onu, UnconfiguredOnu


class _Server(asyncssh.SSHServer):
    def __init__(
        self, username: str, password: str, open_: set[asyncssh.SSHServerConnection]
    ) -> None:
        self._username, self._password = username, password
        self._open = open_
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._open.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._open.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return (username, password) == (self._username, self._password)


class Terminal:
    """Reads lines and single keys from the client, echoing like a device.

    ``read`` returns the next text the client sent ("" once it left);
    ``write`` sends raw text to it.
    """

    def __init__(self, read: Callable[[], Awaitable[str]], write: Callable[[str], None]) -> None:
        self._read = read
        self._write = write
        self._pending = ""

    def write(self, text: str) -> None:
        self._write(text.replace("\r\n", "\n").replace("\n", "\r\n"))

    async def _char(self) -> str | None:
        if not self._pending:
            data = await self._read()
            if not data:
                return None
            self._pending = data
        char, self._pending = self._pending[0], self._pending[1:]
        return char

    async def key(self) -> str | None:
        return await self._char()

    async def line(self, *, echo: bool = True) -> str | None:
        typed: list[str] = []
        while True:
            char = await self._char()
            if char is None:
                return None
            if char in "\r\n\x00":
                if char == "\x00":
                    continue
                if char == "\r" and self._pending[:1] in ("\n", "\x00"):
                    self._pending = self._pending[1:]
                self.write("\n")
                return "".join(typed)
            if char in "\x7f\b":
                if typed:
                    typed.pop()
                    if echo:
                        self._write("\b \b")
            elif char == "\x03":
                self.write("\n")
                return ""
            elif char.isprintable():
                typed.append(char)
                if echo:
                    self._write(char)


async def _page(terminal: Terminal, shell: Shell, text: str) -> bool:
    """Print ``text`` a screen at a time when the shell pages; False when the client left."""
    lines = text.splitlines(keepends=True)
    if shell.pager is None or len(lines) <= shell.page_lines:
        terminal.write(text)
        return True
    for start in range(0, len(lines), shell.page_lines):
        terminal.write("".join(lines[start : start + shell.page_lines]))
        if start + shell.page_lines >= len(lines):
            break
        terminal.write(shell.pager)
        key = await terminal.key()
        if key is None:
            return False
        # Rub the pager text out, as the OLT does, before the next screen.
        width = len(shell.pager)
        terminal.write(f"\x1b[{width}D{' ' * width}\x1b[{width}D")
        if key in "qQ":
            terminal.write("\n")
            break
    return True


async def run_session(
    process: asyncssh.SSHServerProcess[str], state: OltState, make_shell: Callable[[], Shell]
) -> None:
    """One SSH login: the shell until the client quits or leaves."""
    terminal = Terminal(lambda: process.stdin.read(4096), process.stdout.write)
    try:
        await serve_shell(terminal, state, make_shell)
    except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged, BrokenPipeError):
        pass
    finally:
        with contextlib.suppress(Exception):
            process.exit(0)


async def serve_shell(terminal: Terminal, state: OltState, make_shell: Callable[[], Shell]) -> None:
    """Banner, prompt, commands until the client quits or leaves (any transport)."""
    shell = make_shell()

    def listen(event: str, subject: Onu | UnconfiguredOnu) -> None:
        shell.on_event(event, subject)

    state.listeners.append(listen)
    try:
        terminal.write(shell.banner)
        while True:
            for alarm in shell.alarms:
                terminal.write(alarm)
            shell.alarms.clear()
            terminal.write(shell.prompt)
            line = await terminal.line()
            if line is None:
                break
            reply: Reply = shell.run(line)
            while reply.question is not None and reply.answer is not None:
                terminal.write(reply.text + reply.question)
                answer = await terminal.line(echo=not reply.secret)
                if answer is None:
                    return
                reply = reply.answer(answer)
            if not await _page(terminal, shell, reply.text) or reply.close:
                break
    finally:
        state.listeners.remove(listen)


class SshService:
    """The listening SSH server and its open connections."""

    def __init__(self) -> None:
        self.acceptor: asyncssh.SSHAcceptor | None = None
        self.connections: set[asyncssh.SSHServerConnection] = set()

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        assert self.acceptor is not None
        return int(self.acceptor.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening and close every open session."""
        if self.acceptor is not None:
            self.acceptor.close()
            await self.acceptor.wait_closed()
        for conn in list(self.connections):
            conn.close()
            await conn.wait_closed()


async def start_ssh(
    state: OltState,
    make_shell: Callable[[], Shell],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    username: str = "admin",
    password: str = "admin",  # noqa: S107 - a lab device's well-known login
) -> SshService:
    """Listen for SSH logins; ``port`` 0 picks a free port (see :attr:`SshService.port`)."""
    service = SshService()
    key = asyncssh.generate_private_key("ssh-ed25519")

    async def handle(process: asyncssh.SSHServerProcess[str]) -> None:
        await run_session(process, state, make_shell)

    service.acceptor = await asyncssh.create_server(
        lambda: _Server(username, password, service.connections),
        host,
        port,
        server_host_keys=[key],
        process_factory=handle,
        line_editor=False,
        keepalive_interval=0,
    )
    return service


__all__ = ["SshService", "Terminal", "run_session", "serve_shell", "start_ssh"]
