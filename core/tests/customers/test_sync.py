"""Syncing customers from a source a plugin declares, run as a job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from sqlmodel import select

from rjchronos import hookimpl
from rjchronos.customers.models import Customer, Plan
from rjchronos.customers.sources import SYNC_JOB, CustomerSource, sync_source


class FakeErp:
    """A plugin whose ERP answers with the records the test gives it."""

    def __init__(self, records: list[Mapping[str, Any]]) -> None:
        self.records = records
        self.calls = 0

    async def fetch(self, kernel: Any) -> AsyncIterator[Mapping[str, Any]]:
        self.calls += 1
        for record in self.records:
            await asyncio.sleep(0)
            yield record

    @hookimpl
    def rjc_customer_sources(self, kernel: Any) -> list[CustomerSource]:
        return [CustomerSource("fake-erp", self.fetch, title="Fake ERP")]


RECORDS: list[Mapping[str, Any]] = [
    {
        "external_id": 1001,
        "name": "Ana",
        "document": "52998224725",
        "email": "ana@example.com",
        "plan": "Fibra 1G",
        "plan_download_mbps": 1000,
        "plan_upload_mbps": 500,
        "status": "active",
    },
    {"external_id": "1002", "name": "Bruno", "phone": "11912345678", "plan": "Fibra 1G"},
    {"external_id": "1003", "name": "Caio", "document": "52998224700"},
]


def stored(kernel: Any) -> dict[str, Customer]:
    with kernel.db.session() as session:
        return {c.external_id: c for c in session.exec(select(Customer)) if c.external_id}


def kernel_with(factory: Callable[..., Any], erp: FakeErp) -> Any:
    return factory(plugins={"fake-erp": erp})


def test_sync_api_runs_the_job_and_upserts(
    rjc_kernel_factory: Callable[..., Any], rjc_client_factory: Callable[..., Any]
) -> None:
    erp = FakeErp(list(RECORDS))
    kernel = kernel_with(rjc_kernel_factory, erp)
    operator = rjc_client_factory("operator", kernel=kernel)

    sources = operator.get("/api/v1/customers/sources").json()["items"]
    assert sources == [{"name": "fake-erp", "title": "Fake ERP", "plugin": "fake-erp"}]

    answer = operator.post("/api/v1/customers/sync/fake-erp")
    assert answer.status_code == 202, answer.text
    job = kernel.jobs.get(answer.json()["job_id"])
    assert job is not None and job.type == SYNC_JOB and job.status == "done", job
    assert job.result["counts"]["created"] == 2
    assert [r["row"] for r in job.result["rejected"]] == [3]
    customers = stored(kernel)
    assert set(customers) == {"1001", "1002"}
    assert customers["1002"].contacts == {"phone": "+5511912345678"}
    with kernel.db.session() as session:
        plan = session.exec(select(Plan)).one()
    assert customers["1001"].plan_id == customers["1002"].plan_id == plan.id

    erp.records = [{"external_id": "1002", "name": "Bruno", "status": "cancelled"}]
    again = operator.post("/api/v1/customers/sync/fake-erp")
    assert kernel.jobs.get(again.json()["job_id"]).result["counts"]["updated"] == 1
    assert stored(kernel)["1002"].status == "cancelled"
    assert erp.calls == 2

    actions = [e["action"] for e in kernel.audit.tail(50)]
    assert actions.count("customers.sync") >= 4  # each request, and each applied run


def test_unknown_source_and_permissions(
    rjc_kernel_factory: Callable[..., Any], rjc_client_factory: Callable[..., Any]
) -> None:
    kernel = kernel_with(rjc_kernel_factory, FakeErp([]))
    admin = rjc_client_factory("admin", kernel=kernel)
    viewer = rjc_client_factory("viewer", kernel=kernel)
    missing = admin.post("/api/v1/customers/sync/nowhere")
    assert missing.status_code == 404 and "nowhere" in missing.json()["detail"]
    assert viewer.post("/api/v1/customers/sync/fake-erp").status_code == 403


def test_sync_handler_directly(rjc_kernel_factory: Callable[..., Any]) -> None:
    kernel = kernel_with(rjc_kernel_factory, FakeErp(list(RECORDS)))
    result = asyncio.run(sync_source(kernel, {"source": "fake-erp"}))
    assert result["source"] == "fake-erp" and result["applied"] is True
    assert result["counts"]["created"] == 2 and result["counts"]["rejected"] == 1
    assert result["rejected"][0]["errors"][0]["field"] == "document"
