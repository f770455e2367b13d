"""Customers and plans through the API: CRUD, filters, pagination, masking, audit."""

from __future__ import annotations

import json
from typing import Any

from rjchronos.customers.models import Customer
from rjchronos.inventory.models import Site

CNPJ = "11.222.333/0001-81"


def audit_entries(kernel: Any, action: str) -> list[dict[str, Any]]:
    return [e for e in kernel.audit.tail(500) if e["action"] == action]


def test_create_stores_normalised_digits_and_answers_unmasked_to_admin(
    rjc_kernel: Any, admin: Any, customer: dict[str, Any], plan: dict[str, Any]
) -> None:
    assert customer["document"] == "123.456.789-09"
    assert customer["document_kind"] == "cpf"
    assert customer["contacts"] == {"email": "joao@example.com", "whatsapp": "+5511912344321"}
    assert customer["personal_data"] == "shown"
    assert customer["status"] == "active" and customer["plan_id"] == plan["id"]
    with rjc_kernel.db.session() as session:
        stored = session.get(Customer, customer["id"])
        assert stored is not None
        assert stored.document == "12345678909"
        assert stored.name_key == "joao da silva"

    entry = audit_entries(rjc_kernel, "customers.create")[-1]
    assert entry["target"] == f"customer:{customer['id']}"
    text = json.dumps(entry["params"])
    assert "document" in entry["params"]["fields"]
    for personal in ("João", "12345678909", "joao@example.com", "91234"):
        assert personal not in text


def test_viewer_sees_masked_personal_data_everywhere(viewer: Any, customer: dict[str, Any]) -> None:
    one = viewer.get(f"/api/v1/customers/{customer['id']}").json()
    assert one["document"] == "***.456.789-**"
    assert one["contacts"] == {"email": "j***@example.com", "whatsapp": "+55 11 *****-4321"}
    assert one["personal_data"] == "masked"
    assert one["name"] == "João da Silva"
    listed = viewer.get("/api/v1/customers").json()["items"]
    assert [c["document"] for c in listed] == ["***.456.789-**"]
    assert "joao@example.com" not in json.dumps(listed)


def test_operator_writes_but_sees_masked_data(operator: Any, customer: dict[str, Any]) -> None:
    answer = operator.patch(
        f"/api/v1/customers/{customer['id']}", json={"contacts": {"email": "novo@example.com"}}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["contacts"]["email"] == "n***@example.com"
    assert answer.json()["contacts"]["whatsapp"] == "+55 11 *****-4321"  # merged, not replaced


def test_viewer_cannot_write_and_operator_cannot_export(
    viewer: Any, operator: Any, customer: dict[str, Any]
) -> None:
    assert viewer.post("/api/v1/customers", json={"name": "X"}).status_code == 403
    assert (
        viewer.patch(f"/api/v1/customers/{customer['id']}", json={"name": "Y"}).status_code == 403
    )
    assert operator.get(f"/api/v1/customers/{customer['id']}/export").status_code == 403
    assert operator.post(f"/api/v1/customers/{customer['id']}/erase").status_code == 403


def test_cnpj_customer_and_bad_documents_name_the_field(admin: Any) -> None:
    answer = admin.post("/api/v1/customers", json={"name": "Provedor Ltda", "document": CNPJ})
    assert answer.status_code == 201
    assert answer.json()["document"] == "11.222.333/0001-81"
    assert answer.json()["document_kind"] == "cnpj"

    bad = admin.post(
        "/api/v1/customers",
        json={"name": "Maria", "document": "123.456.789-00", "contacts": {"email": "nope"}},
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    names = {p["name"] for p in bad.json()["invalid_params"]}
    assert names == {"body.document", "body.contacts.email"}
    assert admin.get("/api/v1/customers", params={"q": "maria"}).json()["items"] == []


def test_schema_and_rule_errors(admin: Any, customer: dict[str, Any]) -> None:
    cases = [
        ({"name": ""}, "body.name"),
        ({"name": "A", "status": "paused"}, "body.status"),
        ({"name": "A", "contacts": {"fax": "1"}}, "body.contacts.fax"),
        ({"name": "A", "preferred_channel": "email"}, "body.preferred_channel"),
        ({"name": "A", "plan_id": "01NOPLAN"}, "body.plan_id"),
        ({"name": "A", "site_id": "01NOSITE"}, "body.site_id"),
        ({"name": "A", "external_id": "ERP-1"}, "body.external_id"),
        ({"name": "A", "status": "cancelled", "cancelled_at": "2024-13-01"}, "body.cancelled_at"),
        ({"surname": "A", "name": "B"}, "body.surname"),
        ({}, "body.name"),
    ]
    for body, field in cases:
        answer = admin.post("/api/v1/customers", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert field in {p["name"] for p in answer.json()["invalid_params"]}, (body, answer.json())
    assert len(admin.get("/api/v1/customers").json()["items"]) == 1


def test_update_status_records_cancellation(admin: Any, customer: dict[str, Any]) -> None:
    url = f"/api/v1/customers/{customer['id']}"
    cancelled = admin.patch(url, json={"status": "cancelled"}).json()
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    dated = admin.patch(
        url, json={"status": "cancelled", "cancelled_at": "2020-02-01T10:00:00-03:00"}
    )
    assert dated.json()["cancelled_at"] == "2020-02-01T13:00:00+00:00"
    reactivated = admin.patch(url, json={"status": "active"}).json()
    assert reactivated["cancelled_at"] is None
    assert admin.patch(url, json={"contacts": {"whatsapp": None}}).status_code == 422  # preferred
    cleared = admin.patch(url, json={"contacts": {"whatsapp": None}, "preferred_channel": None})
    assert cleared.json()["contacts"] == {"email": "joao@example.com"}


def test_filters_and_cursor_pagination(admin: Any, plan: dict[str, Any]) -> None:
    other = admin.post(
        "/api/v1/plans", json={"name": "Fibra 600", "download_mbps": 600, "upload_mbps": 300}
    ).json()
    names = ["Ana Souza", "Ângela Lima", "Bruno Costa", "anabela Reis", "Carla 100%_x"]
    ids = []
    for index, name in enumerate(names):
        body = {
            "name": name,
            "external_id": f"E{index}",
            "plan_id": plan["id"] if index % 2 == 0 else other["id"],
            "status": "suspended" if index == 2 else "active",
        }
        answer = admin.post("/api/v1/customers", json=body)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])

    def names_for(**params: Any) -> list[str]:
        answer = admin.get("/api/v1/customers", params=params)
        assert answer.status_code == 200, answer.text
        return [c["name"] for c in answer.json()["items"]]

    assert names_for(q="an") == ["Ana Souza", "Ângela Lima", "anabela Reis"]
    assert names_for(q="ÂNG") == ["Ângela Lima"]
    assert names_for(q="carla 100%") == ["Carla 100%_x"]
    assert names_for(q="carla 1000") == []
    assert names_for(q="%") == []  # wildcards are literal
    assert names_for(plan=other["id"]) == ["Ângela Lima", "anabela Reis"]
    assert names_for(status="suspended") == ["Bruno Costa"]
    assert names_for(external_id="E4") == ["Carla 100%_x"]
    assert names_for(q="an", plan=plan["id"]) == ["Ana Souza"]

    bad = admin.get("/api/v1/customers", params={"status": "gone"})
    assert bad.status_code == 422 and bad.json()["invalid_params"][0]["name"] == "query.status"

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = admin.get("/api/v1/customers", params=params).json()
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(ids)


def test_delete_customer_and_plan_in_use(
    admin: Any, customer: dict[str, Any], plan: dict[str, Any]
) -> None:
    in_use = admin.delete(f"/api/v1/plans/{plan['id']}")
    assert in_use.status_code == 409
    assert admin.delete(f"/api/v1/customers/{customer['id']}").status_code == 204
    assert admin.get(f"/api/v1/customers/{customer['id']}").status_code == 404
    assert admin.delete(f"/api/v1/plans/{plan['id']}").status_code == 204
    assert admin.get(f"/api/v1/plans/{plan['id']}").status_code == 404


def test_plans_crud(rjc_kernel: Any, admin: Any, viewer: Any, plan: dict[str, Any]) -> None:
    assert plan["price"] == "99.90" and plan["sla_availability_percent"] == 99.5
    changed = admin.patch(
        f"/api/v1/plans/{plan['id']}", json={"price": "109,9", "upload_mbps": 300}
    )
    assert changed.status_code == 200
    assert changed.json()["price"] == "109.90" and changed.json()["upload_mbps"] == 300
    assert viewer.get(f"/api/v1/plans/{plan['id']}").json()["price"] == "109.90"
    assert viewer.patch(f"/api/v1/plans/{plan['id']}", json={"price": 1}).status_code == 403

    duplicate = admin.post(
        "/api/v1/plans", json={"name": "Fibra 300", "download_mbps": 1, "upload_mbps": 1}
    )
    assert duplicate.status_code == 422
    assert duplicate.json()["invalid_params"][0]["name"] == "body.name"
    for body, field in [
        ({"name": "X", "download_mbps": 0, "upload_mbps": 1}, "body.download_mbps"),
        ({"name": "X", "download_mbps": 10, "upload_mbps": 1, "price": "dez"}, "body.price"),
        ({"name": "X", "download_mbps": 10}, "body.upload_mbps"),
        (
            {"name": "X", "download_mbps": 10, "upload_mbps": 1, "sla_availability_percent": 101},
            "body.sla_availability_percent",
        ),
    ]:
        answer = admin.post("/api/v1/plans", json=body)
        assert answer.status_code == 422
        assert answer.json()["invalid_params"][0]["name"] == field

    listed = viewer.get("/api/v1/plans", params={"q": "fibra"}).json()["items"]
    assert [p["name"] for p in listed] == ["Fibra 300"]
    assert audit_entries(rjc_kernel, "plans.update")[-1]["params"]["price"] == "109.90"


def test_installation_site_link(rjc_kernel: Any, admin: Any) -> None:
    with rjc_kernel.db.session() as session:
        site = Site(name="Casa", address="Rua A, 10", city="São Paulo", region="zona-sul")
        session.add(site)
    created = admin.post("/api/v1/customers", json={"name": "Rita", "site_id": site.id})
    assert created.status_code == 201 and created.json()["site_id"] == site.id
    admin.post("/api/v1/customers", json={"name": "Sem Casa"})
    listed = admin.get("/api/v1/customers", params={"site": site.id}).json()["items"]
    assert [c["name"] for c in listed] == ["Rita"]

    report = admin.post(
        "/api/v1/customers/import",
        content=f"external_id,name,site_id\nS1,Tia,{site.id}\nS2,Tio,01NOSUCHSITE\n".encode(),
        headers={"Content-Type": "text/csv"},
    ).json()
    assert [r["row"] for r in report["created"]] == [2]
    assert report["rejected"][0]["errors"] == [
        {"field": "site_id", "reason": "no site with id '01NOSUCHSITE'"}
    ]
