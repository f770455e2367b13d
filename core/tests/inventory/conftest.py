"""Clients per role, scoped clients, and a small access network to query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

API = "/api/v1"


@pytest.fixture
def admin(rjc_client_factory: Callable[..., Any]) -> Any:
    return rjc_client_factory("admin")


@pytest.fixture
def viewer(rjc_client_factory: Callable[..., Any]) -> Any:
    return rjc_client_factory("viewer")


@pytest.fixture
def scoped_client(rjc_client_factory: Callable[..., Any], rjc_kernel: Any) -> Callable[..., Any]:
    """``scoped_client(role, scope, also=())``: a client whose role binding is limited to ``scope``.

    ``also`` adds more ``(role, scope)`` bindings (``None`` for everywhere).
    """
    from rjchronos.security.tokens import issue_access_token
    from rjchronos.security.users import bind_role, create_user

    counter = iter(range(1000))

    def make(role: str, scope: str, also: tuple[tuple[str, str | None], ...] = ()) -> Any:
        user = create_user(rjc_kernel, f"scoped-{next(counter)}", "correct horse battery", roles=())
        assert user.id is not None
        for bound_role, bound_scope in ((role, scope), *also):
            bind_role(rjc_kernel, user.id, bound_role, bound_scope)
        token, _ = issue_access_token(rjc_kernel, user)
        client = rjc_client_factory(None)
        client.headers["Authorization"] = f"Bearer {token}"
        return client

    return make


def create(client: Any, path: str, **body: Any) -> dict[str, Any]:
    """POST ``body`` and return the created resource, failing loudly otherwise."""
    answer = client.post(f"{API}{path}", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


@dataclass
class Network:
    """Two OLTs in two regions: OLT north > PON > splitter > 2 ONUs > CPE; OLT south > PON > ONU."""

    north_site: dict[str, Any]
    south_site: dict[str, Any]
    olt: dict[str, Any]
    pon: dict[str, Any]
    splitter: dict[str, Any]
    onus: list[dict[str, Any]]
    cpe: dict[str, Any]
    south_olt: dict[str, Any]
    south_pon: dict[str, Any]
    south_onu: dict[str, Any]


@pytest.fixture
def network(admin: Any) -> Network:
    north = create(admin, "/sites", name="CO Norte", region="Norte", city="Recife")
    south = create(admin, "/sites", name="CO Sul", region="Sul", city="Porto Alegre")
    olt = create(
        admin,
        "/devices",
        kind="olt",
        name="OLT-N1",
        vendor="Huawei",
        model="MA5800",
        serial="olt-n1",
        site_id=north["id"],
        status="online",
    )
    pon = create(admin, "/devices", kind="pon", name="0/1/0", parent_id=olt["id"])
    splitter = create(admin, "/devices", kind="splitter", name="CTO-12", parent_id=pon["id"])
    onus = [
        create(
            admin,
            "/devices",
            kind="onu",
            name=f"ONU {i}",
            vendor="Huawei",
            model="HG8245H",
            serial=f"HWTC-11E70E9{i}",
            parent_id=splitter["id"],
            tags=["ftth", f"n{i}"],
        )
        for i in range(2)
    ]
    cpe = create(
        admin,
        "/devices",
        kind="cpe",
        name="Router 0",
        vendor="TP-Link",
        serial="22AB0001",
        mac="00-25-9E-11-E7-0E",
        parent_id=onus[0]["id"],
        identity="00259E-Archer-22AB0001",
    )
    south_olt = create(
        admin,
        "/devices",
        kind="olt",
        name="OLT-S1",
        vendor="ZTE",
        model="C600",
        serial="olt-s1",
        site_id=south["id"],
    )
    south_pon = create(admin, "/devices", kind="pon", name="1/1/1", parent_id=south_olt["id"])
    south_onu = create(
        admin,
        "/devices",
        kind="onu",
        name="ONU S",
        vendor="ZTE",
        serial="ZTEGC0FFEE01",
        parent_id=south_pon["id"],
        tags=["ftth"],
    )
    return Network(north, south, olt, pon, splitter, onus, cpe, south_olt, south_pon, south_onu)


def _ids(answer: Any) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


@pytest.fixture
def ids() -> Callable[[Any], set[str]]:
    """``ids(answer)``: the ids of a list answer's items (asserting a 200)."""
    return _ids


@pytest.fixture
def make() -> Callable[..., dict[str, Any]]:
    """``make(client, path, **body)``: POST and return the created resource."""
    return create
