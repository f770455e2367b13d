"""Fixtures of the reports tests: a kernel with the plugin, demo-like data, a real SMTP server."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

sys.path.insert(0, str(Path(__file__).parent))

from report_testkit import Scenario, seed_scenario

#: What the kernel of these tests loads through its entry points.
PLUGINS = ["reports", "notify-email", "notify-webhook", "acs-tr069"]


@pytest.fixture
def reports_kernel(rjc_kernel_factory: Callable[..., Any]) -> Any:
    return rjc_kernel_factory(entrypoints=PLUGINS)


@pytest.fixture
def scenario(reports_kernel: Any) -> Scenario:
    """The demo lab plus a week of outages, incidents, reboots and errors (the week before last)."""
    return seed_scenario(reports_kernel)


class Mailbox:
    """What the test SMTP server accepted."""

    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = (envelope.original_content or b"").replace(b"\r\n", b"\n")
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope, parsed))
        return "250 2.0.0 Ok: queued"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    """A plain aiosmtpd server (a trusted relay, no TLS) on an ephemeral port of 127.0.0.1."""
    mailbox = Mailbox()
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(mailbox, data_size_limit=None), "127.0.0.1", 0)
    )
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield port, mailbox
    finally:

        async def close() -> None:
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
