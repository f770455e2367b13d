"""The policy API: GET /ai/policies and PUT /ai/policies/{kind}, checked, audited and obeyed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from rjchronos.inventory.models import Device

KIND = "wifi.change_channel"


def _policies(api: Any) -> dict[str, dict[str, Any]]:
    found = api.get("/api/v1/ai/policies")
    assert found.status_code == 200, found.text
    return {item["kind"]: item for item in found.json()["items"]}


def test_policies_are_listed_set_through_the_api_audited_and_obeyed(
    ai_kernel: Callable[..., Any],
    rjc_client_factory: Callable[..., Any],
    tools: SimpleNamespace,
    gateway: Any,
) -> None:
    kernel = ai_kernel(policies={"cpe.reboot": {"mode": "approve", "max_per_hour": 2}})
    viewer, operator, admin = (
        rjc_client_factory(role, kernel=kernel) for role in ("viewer", "operator", "admin")
    )
    listed = _policies(viewer)
    assert listed["cpe.reboot"]["source"] == "settings"
    assert listed["cpe.reboot"]["policy"]["mode"] == "approve"
    assert listed["cpe.reboot"]["policy"]["max_per_hour"] == 2
    # A kind with an executor and no policy is shown with the default: suggest only.
    assert listed[KIND]["source"] == "default" and listed[KIND]["policy"]["mode"] == "suggest"

    auto = {"mode": "auto", "max_per_hour": 5, "scope": {"tags": ["pilot"]}}
    assert viewer.put(f"/api/v1/ai/policies/{KIND}", json=auto).status_code == 403
    assert operator.put(f"/api/v1/ai/policies/{KIND}", json=auto).status_code == 403
    bad = admin.put(f"/api/v1/ai/policies/{KIND}", json={"mode": "sometimes"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    extra = admin.put(f"/api/v1/ai/policies/{KIND}", json={"mode": "auto", "when": "now"})
    assert extra.status_code == 422
    window = {"mode": "auto", "window": {"start": "25:00", "end": "05:00"}}
    assert admin.put(f"/api/v1/ai/policies/{KIND}", json=window).status_code == 422
    named = admin.put("/api/v1/ai/policies/Wifi Channel!", json=auto)
    assert named.status_code == 422 and "action kind" in named.json()["detail"]

    stored = admin.put(f"/api/v1/ai/policies/{KIND}", json=auto)
    assert stored.status_code == 200, stored.text
    assert stored.json()["policy"]["mode"] == "auto" and stored.json()["source"] == "api"
    listed = _policies(viewer)
    assert listed[KIND]["source"] == "api" and listed[KIND]["updated_by"]
    assert listed[KIND]["policy"]["scope"] == {"tags": ["pilot"]}
    entries = admin.get("/api/v1/audit", params={"target": f"ai_policy:{KIND}"}).json()["items"]
    assert [e["action"] for e in entries] == ["ai.policy.update"]
    assert entries[0]["params"]["before"]["mode"] == "suggest"
    assert entries[0]["params"]["after"]["mode"] == "auto"

    # The scan obeys the stored policy: a CPE in scope gets its channel changed at once.
    site = tools.plant(kernel)
    with kernel.db.session() as session:
        cpe = session.get(Device, site.cpe)
        assert cpe is not None
        cpe.tags = ["pilot"]
        session.add(cpe)
        session.commit()
    minute = timedelta(minutes=1)
    for metric, value in (
        ("cpe.wifi_retrans_pct", 46.0),
        ("cpe.wifi_rssi_dbm", -79.0),
        ("cpe.wifi_channel", 6.0),
    ):
        tools.write_series(
            kernel,
            f"{site.cpe}/radio/1",
            metric,
            value,
            ago=40 * minute,
            span=30 * minute,
            step=5 * minute,
        )
    job = kernel.jobs.get(kernel.jobs.enqueue("ai.scan", {}))
    assert job.status == "done", job.error
    [action] = viewer.get("/api/v1/ai/actions", params={"kind": KIND}).json()["items"]
    assert action["mode"] == "auto" and action["status"] != "suggested"
    assert gateway.channel == {site.cpe: 11}
