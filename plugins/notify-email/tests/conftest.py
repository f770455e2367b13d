"""Fixtures: real SMTP servers (aiosmtpd) on 127.0.0.1 with a certificate made for the test."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USERNAME = "noc@isp.example"
PASSWORD = "correct horse battery staple"


@dataclass
class Mailbox:
    """Where the test server puts what it accepts."""

    messages: list[tuple[Envelope, EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # Lines arrive with CRLF endings, as SMTP sends them.
        content = (envelope.original_content or b"").replace(b"\r\n", b"\n")
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope, parsed))
        return "250 2.0.0 Ok: queued"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (
            data.login.decode(),
            data.password.decode(),
        ) == (USERNAME, PASSWORD)
        if ok:
            self.logins.append(data.login.decode())
        # handled=False: aiosmtpd answers "535" itself.
        return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox
    ca_file: str
    username: str = USERNAME
    password: str = PASSWORD


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert PEM, key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rjchronos test SMTP")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _serve(certificate: tuple[Path, Path], implicit_tls: bool) -> Iterator[SmtpServer]:
    """Run one aiosmtpd server on its own event loop in a thread, on an ephemeral port."""
    cert_path, key_path = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    mailbox = Mailbox()
    loop = asyncio.new_event_loop()

    def protocol() -> SMTP:
        if implicit_tls:
            # The whole connection is TLS: AUTH needs no STARTTLS first.
            return SMTP(mailbox, authenticator=mailbox.authenticate, auth_require_tls=False)
        return SMTP(
            mailbox,
            tls_context=context,
            require_starttls=True,
            authenticator=mailbox.authenticate,
            auth_require_tls=True,
        )

    server = loop.run_until_complete(
        loop.create_server(protocol, "127.0.0.1", 0, ssl=context if implicit_tls else None)
    )
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield SmtpServer(port, mailbox, str(cert_path))
    finally:
        asyncio.run_coroutine_threadsafe(_close(server), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


async def _close(server: asyncio.Server) -> None:
    server.close()
    await server.wait_closed()


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """SMTP on a plain port that demands STARTTLS before anything, and AUTH."""
    yield from _serve(certificate, implicit_tls=False)


@pytest.fixture
def smtps_server(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """SMTP over implicit TLS (the port-465 way), with AUTH."""
    yield from _serve(certificate, implicit_tls=True)
