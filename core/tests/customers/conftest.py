"""Clients of one kernel for each built-in role, and sample customers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def admin(rjc_client_factory: Callable[..., Any]) -> Any:
    return rjc_client_factory("admin")


@pytest.fixture
def operator(rjc_client_factory: Callable[..., Any]) -> Any:
    return rjc_client_factory("operator")


@pytest.fixture
def viewer(rjc_client_factory: Callable[..., Any]) -> Any:
    return rjc_client_factory("viewer")


@pytest.fixture
def plan(admin: Any) -> dict[str, Any]:
    answer = admin.post(
        "/api/v1/plans",
        json={
            "name": "Fibra 300",
            "download_mbps": 300,
            "upload_mbps": 150,
            "sla_availability_percent": 99.5,
            "price": "99.90",
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


@pytest.fixture
def customer(admin: Any, plan: dict[str, Any]) -> dict[str, Any]:
    answer = admin.post(
        "/api/v1/customers",
        json={
            "external_id": "ERP-1",
            "name": "João da Silva",
            "document": "123.456.789-09",
            "contacts": {"email": "joao@example.com", "whatsapp": "(11) 91234-4321"},
            "preferred_channel": "whatsapp",
            "plan_id": plan["id"],
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]
