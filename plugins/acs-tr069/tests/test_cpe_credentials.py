"""Per-device CPE credentials through the rjc_cpe_credentials hook (an ISP plugin's own store)."""

from __future__ import annotations

from typing import Any

import httpx
from acs_testkit import CPE_PASSWORD, CPE_USER, ScriptedCpe, acs_settings
from starlette.testclient import TestClient

from rjchronos import hookimpl

IDENTITY = "00259E-HG8245-485754430A1B2C3D"


class IspStore:
    """An ISP plugin that keeps one password per CPE, and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    @hookimpl
    def rjc_cpe_credentials(self, kernel: Any, identity: str, username: str) -> str | None:
        self.asked.append((identity, username))
        return "per-device-s3cret" if (identity, username) == (IDENTITY, "hg-0a1b") else None


def _kernel(factory: Any, store: IspStore, **settings: Any) -> Any:
    from rjchronos_acs_tr069 import PLUGIN, hooks

    return factory(
        plugins={PLUGIN: hooks, "isp": store}, plugin_settings={PLUGIN: acs_settings(**settings)}
    )


def test_a_cpe_authenticates_with_its_own_credentials(rjc_kernel_factory: Any) -> None:
    from rjchronos_acs_tr069.server import build_app

    store = IspStore()
    kernel = _kernel(rjc_kernel_factory, store, cpe_username="", cpe_password="")
    with TestClient(build_app(kernel)) as http:
        challenged = ScriptedCpe(http, auth=None).inform()
        assert challenged.status_code == 401
        assert challenged.headers.get_list("www-authenticate")[0].startswith("Digest ")
        digest = ScriptedCpe(http, auth=httpx.DigestAuth("hg-0a1b", "per-device-s3cret"))
        assert digest.inform().status_code == 200
        assert (IDENTITY, "hg-0a1b") in store.asked
        wrong = ScriptedCpe(
            http, auth=httpx.DigestAuth("hg-0a1b", "guess"), serial="485754430A1B2C3E"
        )
        assert wrong.inform().status_code == 401
        # The same password from another device is refused: it is that device's alone.
        other = ScriptedCpe(http, auth=("hg-0a1b", "per-device-s3cret"), serial="485754430A1B2C3F")
        assert other.inform().status_code == 401


def test_shared_credentials_still_work_beside_the_hook(rjc_kernel_factory: Any) -> None:
    from rjchronos_acs_tr069.server import build_app

    store = IspStore()
    kernel = _kernel(rjc_kernel_factory, store)
    with TestClient(build_app(kernel)) as http:
        shared = ScriptedCpe(
            http, auth=httpx.DigestAuth(CPE_USER, CPE_PASSWORD), serial="485754430A1B2C99"
        )
        assert shared.inform().status_code == 200
        assert store.asked == []
        own = ScriptedCpe(http, auth=("hg-0a1b", "per-device-s3cret"))
        assert own.inform().status_code == 200
