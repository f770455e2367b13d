"""The hash-chained audit log: masking, append-only triggers, tamper detection, API."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from rjchronos.security.audit import GENESIS, MASK, canonical_json, chain_hash, mask_secrets


def _record(kernel: Any, count: int, **fields: Any) -> None:
    for n in range(count):
        kernel.audit.record(
            actor=fields.get("actor", "user:ana"),
            action=fields.get("action", "devices.reboot"),
            target=f"device:{n}",
            params={"n": n},
            source_ip="192.0.2.1",
        )


def disable_append_only_triggers(kernel: Any) -> None:
    """What an attacker with database access does first."""
    with kernel.db.engine.begin() as connection:
        if kernel.db.is_sqlite:
            connection.execute(text("DROP TRIGGER audit_entries_no_update"))
            connection.execute(text("DROP TRIGGER audit_entries_no_delete"))
        else:
            connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))


def _sql(kernel: Any, statement: str, **params: Any) -> None:
    with kernel.db.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_mask_secrets_in_any_case_and_depth() -> None:
    params = {
        "name": "olt-1",
        "Password": "p",
        "snmp": {"read_community": "public", "port": 161},
        "devices": [{"apiKey": "k", "serial": "HWTC11E70E9A"}, "plain"],
        "CREDENTIALS": {"user": "u"},
        "client_secret": None,
        "refresh_TOKEN": "t",
    }
    assert mask_secrets(params) == {
        "name": "olt-1",
        "Password": MASK,
        "snmp": {"read_community": MASK, "port": 161},
        "devices": [{"apiKey": MASK, "serial": "HWTC11E70E9A"}, "plain"],
        "CREDENTIALS": MASK,
        "client_secret": None,
        "refresh_TOKEN": MASK,
    }


def test_clean_chain_verifies(rjc_kernel: Any) -> None:
    _record(rjc_kernel, 3)
    report = rjc_kernel.audit.check()
    assert report.ok and report.rows == 3 and report.last_seq == 3
    assert rjc_kernel.audit.verify() == []
    first = rjc_kernel.audit.tail(3)[0]
    content = {
        k: first[k]
        for k in ("seq", "time", "actor", "action", "target", "params", "result", "source_ip")
    }
    assert first["hash"] == chain_hash(GENESIS, content)


def test_stored_params_are_masked_and_survive_the_round_trip(rjc_kernel: Any) -> None:
    params = {
        "password": "hunter22",
        "community": "s3cret",
        "ratio": 0.1,
        "name": "ção",
        "big": 2**53,
        "nested": {"b": 1, "a": [1.5, None, True]},
    }
    rjc_kernel.audit.record(
        actor="user:ana", action="olts.update", target="device:1", params=params
    )
    with rjc_kernel.db.engine.connect() as connection:
        raw = connection.execute(text("SELECT params FROM audit_entries")).scalar_one()
    stored = raw if isinstance(raw, dict) else json.loads(raw)
    assert stored["password"] == MASK and stored["community"] == MASK
    assert "hunter22" not in canonical_json(stored) and "s3cret" not in canonical_json(stored)
    assert stored["nested"] == {"b": 1, "a": [1.5, None, True]}
    assert rjc_kernel.audit.verify() == []


def test_triggers_reject_update_and_delete(rjc_kernel: Any) -> None:
    _record(rjc_kernel, 2)
    with pytest.raises(DBAPIError, match="append-only"):
        _sql(rjc_kernel, "UPDATE audit_entries SET actor = 'user:eve' WHERE seq = 1")
    with pytest.raises(DBAPIError, match="append-only"):
        _sql(rjc_kernel, "DELETE FROM audit_entries WHERE seq = 2")
    if rjc_kernel.db.is_postgres:
        with pytest.raises(DBAPIError, match="append-only"):
            _sql(rjc_kernel, "TRUNCATE audit_entries")
    assert rjc_kernel.audit.check().rows == 2
    assert rjc_kernel.audit.tail(1)[0]["actor"] == "user:ana"


def test_edited_row_is_named(rjc_kernel: Any) -> None:
    _record(rjc_kernel, 4)
    disable_append_only_triggers(rjc_kernel)
    _sql(rjc_kernel, "UPDATE audit_entries SET actor = 'user:eve' WHERE seq = 2")
    problems = rjc_kernel.audit.verify()
    assert [p.seq for p in problems] == [2]
    assert str(problems[0]) == "row 2: its content does not match its hash: the row was edited"


def test_edited_row_with_a_rewritten_hash_breaks_the_next_link(rjc_kernel: Any) -> None:
    _record(rjc_kernel, 4)
    disable_append_only_triggers(rjc_kernel)
    row = rjc_kernel.audit.tail(4)[1]
    forged = {
        k: row[k]
        for k in ("seq", "time", "actor", "action", "target", "params", "result", "source_ip")
    }
    forged["actor"] = "user:eve"
    previous = rjc_kernel.audit.tail(4)[0]["hash"]
    _sql(
        rjc_kernel,
        "UPDATE audit_entries SET actor = 'user:eve', hash = :h WHERE seq = 2",
        h=chain_hash(previous, forged),
    )
    problems = rjc_kernel.audit.verify()
    assert [p.seq for p in problems] == [3]
    assert "link to row 2 is broken" in problems[0].problem


@pytest.mark.parametrize("deleted", [1, 3])
def test_deleted_row_is_named(rjc_kernel: Any, deleted: int) -> None:
    _record(rjc_kernel, 5)
    disable_append_only_triggers(rjc_kernel)
    _sql(rjc_kernel, "DELETE FROM audit_entries WHERE seq = :s", s=deleted)
    problems = rjc_kernel.audit.verify()
    assert [p.seq for p in problems] == [deleted]
    assert f"row(s) {deleted} were deleted" in problems[0].problem


def test_concurrent_appends_keep_one_chain(rjc_kernel: Any) -> None:
    errors: list[BaseException] = []

    def append() -> None:
        try:
            _record(rjc_kernel, 10)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=append) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = rjc_kernel.audit.check()
    assert report.ok and report.rows == 40 and report.last_seq == 40


def test_list_filters_and_pages(rjc_client: Any, rjc_kernel: Any) -> None:
    _record(rjc_kernel, 3, actor="user:ana", action="devices.reboot")
    _record(rjc_kernel, 2, actor="user:bia", action="users.create")
    by_actor = rjc_client.get("/api/v1/audit", params={"actor": "user:bia"}).json()["items"]
    assert [e["action"] for e in by_actor] == ["users.create", "users.create"]
    by_prefix = rjc_client.get("/api/v1/audit", params={"action": "devices."}).json()["items"]
    assert len(by_prefix) == 3 and all(e["actor"] == "user:ana" for e in by_prefix)
    by_target = rjc_client.get(
        "/api/v1/audit", params={"target": "device:1", "actor": "user:ana"}
    ).json()
    assert [e["target"] for e in by_target["items"]] == ["device:1"]

    first = rjc_client.get("/api/v1/audit", params={"limit": 2}).json()
    second = rjc_client.get(
        "/api/v1/audit", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    seqs = [e["seq"] for e in first["items"] + second["items"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 4

    newest = first["items"][0]["time"]
    since = rjc_client.get("/api/v1/audit", params={"since": newest}).json()["items"]
    assert [e["seq"] for e in since] == [first["items"][0]["seq"]]
    until = rjc_client.get("/api/v1/audit", params={"until": newest}).json()["items"]
    assert first["items"][0]["seq"] not in [e["seq"] for e in until]
    bad = rjc_client.get("/api/v1/audit", params={"since": "yesterday"})
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"] == "query.since"


def test_verify_route(
    rjc_client: Any, rjc_kernel: Any, rjc_client_factory: Callable[..., Any]
) -> None:
    _record(rjc_kernel, 3)
    clean = rjc_client.get("/api/v1/audit/verify").json()
    assert clean["ok"] is True and clean["problems"] == [] and clean["rows"] == clean["last_seq"]
    assert rjc_client_factory("operator").get("/api/v1/audit/verify").status_code == 403
    disable_append_only_triggers(rjc_kernel)
    _sql(rjc_kernel, "UPDATE audit_entries SET result = 'ok (edited)' WHERE seq = 2")
    broken = rjc_client.get("/api/v1/audit/verify").json()
    assert broken["ok"] is False
    assert broken["problems"][0]["seq"] == 2


def test_every_change_is_audited_without_secrets(rjc_client: Any) -> None:
    me = rjc_client.get("/api/v1/users/me").json()
    created = rjc_client.post(
        "/api/v1/users",
        json={
            "username": "zoe",
            "password": "zoe's long password",
            "roles": ["operator"],
            "email": "zoe@isp.example",
        },
    )
    assert created.status_code == 201
    zoe = created.json()["id"]
    rjc_client.patch(f"/api/v1/users/{zoe}", json={"display_name": "Zoe"})
    rjc_client.post(f"/api/v1/users/{zoe}/password", json={"password": "another long one"})
    rjc_client.post("/api/v1/roles", json={"name": "noc", "permissions": ["users.read"]})
    rjc_client.post(f"/api/v1/users/{zoe}/bindings", json={"role": "noc"})
    token = rjc_client.post("/api/v1/tokens", json={"name": "script"}).json()
    rjc_client.delete(f"/api/v1/tokens/{token['id']}")
    rjc_client.delete(f"/api/v1/users/{zoe}")
    entries = rjc_client.get("/api/v1/audit", params={"actor": f"user:{me['username']}"}).json()[
        "items"
    ]
    actions = [e["action"] for e in reversed(entries)]
    assert actions == [
        "users.create",
        "users.update",
        "users.reset_password",
        "roles.create",
        "users.grant_role",
        "tokens.create",
        "tokens.revoke",
        "users.delete",
    ]
    dumped = json.dumps(entries)
    for secret in ("zoe's long password", "another long one", token["token"]):
        assert secret not in dumped
    assert all(e["source_ip"] == "testclient" for e in entries)


def test_record_many_appends_in_order_on_one_intact_chain(rjc_kernel: Any) -> None:
    from rjchronos.security.audit import AuditRecord

    _record(rjc_kernel, 2)
    seqs = rjc_kernel.audit.record_many(
        [
            AuditRecord("system:alerts", "alert.opened", f"alert:{n}", {"password": "x", "n": n})
            for n in range(5)
        ]
    )
    assert seqs == [3, 4, 5, 6, 7]
    _record(rjc_kernel, 1)
    assert rjc_kernel.audit.check().ok
    tail = rjc_kernel.audit.tail(6)
    assert [e["target"] for e in tail] == [f"alert:{n}" for n in range(5)] + ["device:0"]
    assert tail[0]["params"] == {"password": MASK, "n": 0}
