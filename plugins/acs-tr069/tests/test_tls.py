"""HTTPS on the CWMP listener with a configured certificate and key (self-signed here)."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
from acs_testkit import ScriptedCpe, acs_settings
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from simkit import FleetThread

from rjchronos.cli.serve import endpoint_config
from rjchronos.config import ConfigError
from rjchronos_sdk.testing import serve_asgi


def self_signed(folder: Path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acs.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "acs.pem", folder / "acs.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def _kernel(factory: Any, **settings: Any) -> Any:
    from rjchronos_acs_tr069 import PLUGIN, hooks

    return factory(plugins={PLUGIN: hooks}, plugin_settings={PLUGIN: acs_settings(**settings)})


def test_the_listener_serves_https_with_the_configured_certificate(
    rjc_kernel_factory: Any, tmp_path: Path
) -> None:
    from acs_testkit import CPE_PASSWORD, CPE_USER

    from rjchronos_acs_tr069 import hooks

    certfile, keyfile = self_signed(tmp_path)
    kernel = _kernel(rjc_kernel_factory, tls_certificate=certfile, tls_key=keyfile)
    (endpoint,) = hooks.rjc_protocol_endpoints(kernel)
    config = endpoint_config(endpoint, kernel, "127.0.0.1", 0)
    assert (config.ssl_certfile, config.ssl_keyfile) == (certfile, keyfile)
    with serve_asgi(
        endpoint.app_factory(kernel), certfile=endpoint.certfile, keyfile=endpoint.keyfile
    ) as url:
        assert url.startswith("https://")
        with httpx.Client(
            base_url=url, verify=ssl.create_default_context(cafile=certfile), timeout=5
        ) as http:
            assert ScriptedCpe(http).inform().status_code == 200
        with httpx.Client(base_url=url, timeout=5) as http, pytest.raises(httpx.ConnectError):
            http.post("/")  # the system's CAs do not trust it
        fleet = FleetThread(
            url + "/",
            2,
            model="tr181",
            seed=3,
            interval=3600,
            acs_username=CPE_USER,
            acs_password=CPE_PASSWORD,
            verify_tls=False,
        )
        try:
            fleet.wait_until(lambda: fleet.fleet.counters["sessions_ok"] >= 2)
        finally:
            fleet.stop()


def test_half_a_tls_configuration_is_refused(rjc_kernel_factory: Any, tmp_path: Path) -> None:
    from rjchronos_acs_tr069 import hooks

    certfile, _ = self_signed(tmp_path)
    kernel = _kernel(rjc_kernel_factory, tls_certificate=certfile)
    with pytest.raises(ConfigError, match="tls_certificate and tls_key"):
        hooks.rjc_protocol_endpoints(kernel)
    missing = _kernel(rjc_kernel_factory, tls_certificate=certfile, tls_key=str(tmp_path / "no"))
    with pytest.raises(ConfigError, match="tls_key: no file"):
        hooks.rjc_protocol_endpoints(missing)
