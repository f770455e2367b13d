"""CSV import: good rows, bad rows reported by number, upserts, atomic mode, file errors."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from rjchronos.customers.models import Customer, Plan

HEADER = (
    "external_id,name,document,email,whatsapp,preferred_channel,"
    "plan,plan_download_mbps,plan_upload_mbps,status\n"
)
GOOD = (
    HEADER
    + """\
ERP-10,Ana Souza,529.982.247-25,ana@example.com,(11) 91234-0001,whatsapp,Fibra 500,500,250,active
ERP-11,Bruno Costa,111.444.777-35,bruno@example.com,,email,Fibra 500,,,suspended
ERP-12,Provedor Ltda,11.222.333/0001-81,,,,,,,
"""
)


def post_csv(
    client: Any,
    text: str,
    *,
    atomic: bool = False,
    charset: str | None = None,
    body: bytes | None = None,
) -> Any:
    content_type = "text/csv" + (f"; charset={charset}" if charset else "")
    return client.post(
        "/api/v1/customers/import",
        content=body if body is not None else text.encode(),
        headers={"Content-Type": content_type},
        params={"atomic": "true"} if atomic else {},
    )


def customers_by_external_id(kernel: Any) -> dict[str, Customer]:
    with kernel.db.session() as session:
        return {c.external_id: c for c in session.exec(select(Customer)) if c.external_id}


def test_good_rows_are_created_with_their_plan(rjc_kernel: Any, operator: Any) -> None:
    answer = post_csv(operator, GOOD)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["counts"] == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "rejected": 0,
        "plans_created": 1,
    }
    assert [r["row"] for r in report["created"]] == [2, 3, 4]
    assert report["plans_created"] == ["Fibra 500"] and report["applied"] is True

    stored = customers_by_external_id(rjc_kernel)
    with rjc_kernel.db.session() as session:
        plan = session.exec(select(Plan).where(Plan.name == "Fibra 500")).one()
    assert (plan.download_mbps, plan.upload_mbps) == (500, 250)
    assert stored["ERP-10"].contacts == {"email": "ana@example.com", "whatsapp": "+5511912340001"}
    assert stored["ERP-10"].document == "52998224725"
    assert stored["ERP-11"].plan_id == plan.id and stored["ERP-11"].status == "suspended"
    assert stored["ERP-12"].document == "11222333000181" and stored["ERP-12"].plan_id is None
    assert stored["ERP-12"].status == "active"

    entry = [e for e in rjc_kernel.audit.tail(50) if e["action"] == "customers.import"][-1]
    assert entry["params"]["created"] == 3 and "Ana" not in str(entry["params"])


def test_bad_rows_are_reported_by_line_and_good_rows_applied(rjc_kernel: Any, admin: Any) -> None:
    text = (
        "external_id;name;document;email;plan;status\n"
        "ERP-20;Carla;529.982.247-25;carla@example.com;;active\n"
        "ERP-21;Diego;529.982.247-24;diego@example.com;;active\n"
        ";Sem Chave;;;;\n"
        "ERP-23;Eva;;eva-at-example;Plano Fantasma;paused\n"
        "ERP-20;Carla de novo;;;;\n"
        "ERP-25;;;;;\n"
        "ERP-26;Fábio;;fabio@example.com;;cancelled;extra\n"
        "\n"
        "ERP-27;Gabi;;;;\n"
    )
    answer = post_csv(admin, text)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert [r["row"] for r in report["created"]] == [2, 10]
    rejected = {r["row"]: {e["field"] for e in r["errors"]} for r in report["rejected"]}
    assert rejected == {
        3: {"document"},
        4: {"external_id"},
        5: {"email", "status", "plan"},
        6: {"external_id"},
        7: {"name"},
        8: {"row"},
    }
    reasons = {r["row"]: r["errors"] for r in report["rejected"]}
    assert "repeats row 2" in reasons[6][0]["reason"]
    assert "529.982.247-24" not in answer.text  # reasons never echo personal data
    assert set(customers_by_external_id(rjc_kernel)) == {"ERP-20", "ERP-27"}


def test_unknown_plan_without_speeds_is_rejected(rjc_kernel: Any, admin: Any) -> None:
    report = post_csv(admin, "external_id,name,plan\nERP-30,Helena,Plano Novo\n").json()
    assert report["rejected"][0]["errors"] == [
        {
            "field": "plan",
            "reason": "no plan of that name; give plan_download_mbps and plan_upload_mbps "
            "to create it",
        }
    ]
    assert customers_by_external_id(rjc_kernel) == {}


def test_reimport_upserts_and_only_listed_columns_change(rjc_kernel: Any, admin: Any) -> None:
    assert post_csv(admin, GOOD).status_code == 200
    again = post_csv(
        admin,
        "external_id,name,email,status\n"
        "ERP-10,Ana Souza Lima,ana.lima@example.com,\n"
        "ERP-11,Bruno Costa,bruno@example.com,\n"
        "ERP-13,Nova Cliente,,cancelled\n",
    ).json()
    assert again["counts"]["created"] == 1
    assert [r["row"] for r in again["updated"]] == [2]
    assert [r["row"] for r in again["unchanged"]] == [3]
    stored = customers_by_external_id(rjc_kernel)
    assert len(stored) == 4
    ana = stored["ERP-10"]
    assert ana.name == "Ana Souza Lima" and ana.name_key == "ana souza lima"
    assert ana.contacts == {"email": "ana.lima@example.com", "whatsapp": "+5511912340001"}
    assert ana.document == "52998224725"  # no document column: untouched
    assert ana.status == "active"  # empty status: unchanged
    assert stored["ERP-11"].status == "suspended"
    assert stored["ERP-13"].status == "cancelled" and stored["ERP-13"].cancelled_at is not None

    cleared = post_csv(admin, "external_id,email,whatsapp,preferred_channel\nERP-10,,,\n").json()
    assert cleared["counts"]["updated"] == 1
    assert customers_by_external_id(rjc_kernel)["ERP-10"].contacts == {}


def test_atomic_import_applies_nothing_when_a_row_is_bad(rjc_kernel: Any, admin: Any) -> None:
    text = GOOD + "ERP-14,Zé,000.000.000-00,,,,,,,\n"
    answer = post_csv(admin, text, atomic=True)
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["invalid_params"] == [
        {"name": "row 5.document", "reason": problem["invalid_params"][0]["reason"]}
    ]
    assert problem["report"]["applied"] is False and problem["report"]["atomic"] is True
    assert customers_by_external_id(rjc_kernel) == {}
    with rjc_kernel.db.session() as session:
        assert session.exec(select(Plan)).all() == []  # the plan it named was not created either

    answer = post_csv(admin, GOOD, atomic=True)
    assert answer.status_code == 200 and answer.json()["counts"]["created"] == 3


def test_file_level_errors(admin: Any, viewer: Any) -> None:
    unknown = post_csv(admin, "external_id,name,emial\nERP-1,Ana,a@example.com\n")
    assert unknown.status_code == 422
    assert unknown.json()["invalid_params"][0]["name"] == "column 'emial'"
    no_key = post_csv(admin, "name,email\nAna,a@example.com\n")
    assert no_key.status_code == 422
    assert no_key.json()["invalid_params"] == [
        {"name": "column 'external_id'", "reason": "required column missing"}
    ]
    assert post_csv(admin, "").status_code == 422
    wrong_type = admin.post("/api/v1/customers/import", json={"external_id": "1"})
    assert wrong_type.status_code == 415
    latin1 = "external_id,name\nERP-1,Conceição\n".encode("cp1252")
    assert post_csv(admin, "", body=latin1).status_code == 422
    accepted = post_csv(admin, "", body=latin1, charset="windows-1252")
    assert accepted.status_code == 200 and accepted.json()["counts"]["created"] == 1
    assert post_csv(viewer, GOOD).status_code == 403


def test_spreadsheet_bom_and_header_case(rjc_kernel: Any, admin: Any) -> None:
    text = "\ufeffExternal_ID\tName\tPhone\r\nERP-40\tÍris\t11 3456-7890\r\n"
    assert post_csv(admin, text).json()["counts"]["created"] == 1
    assert customers_by_external_id(rjc_kernel)["ERP-40"].contacts == {"phone": "+551134567890"}


def test_customers_cancelled_past_retention_are_skipped(rjc_kernel: Any, admin: Any) -> None:
    text = (
        "external_id,name,status,cancelled_at\n"
        "ERP-50,Antigo,cancelled,2001-01-01\n"
        "ERP-51,Recente,cancelled,\n"
    )
    report = post_csv(admin, text).json()
    assert [r["row"] for r in report["skipped"]] == [2]
    assert [r["row"] for r in report["created"]] == [3]
    assert set(customers_by_external_id(rjc_kernel)) == {"ERP-51"}
