"""The jobs API: list, read, cancel, retry, schedules; permissions and audit."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from rjchronos.db.types import utcnow
from rjchronos.jobs.spec import Schedule
from rjchronos.security.models import AuditEntry

from .conftest import Lab


def _audit(kernel, action: str) -> list[AuditEntry]:
    with kernel.db.session() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_list_and_filter_jobs_with_cursor_pages(make_kernel, lab, rjc_client_factory):
    kernel = make_kernel(lab)
    done = [kernel.jobs.enqueue("lab.add", {"a": n, "b": 0}, device_id="olt-1") for n in range(3)]
    failed = kernel.jobs.enqueue("lab.broken", {}, device_id="olt-2")
    client = rjc_client_factory("viewer", kernel=kernel)

    page = client.get("/api/v1/jobs", params={"limit": 2})
    assert page.status_code == 200
    body = page.json()
    assert [job["id"] for job in body["items"]] == [failed, done[2]]
    rest = client.get("/api/v1/jobs", params={"limit": 2, "cursor": body["next_cursor"]}).json()
    assert [job["id"] for job in rest["items"]] == [done[1], done[0]]
    assert rest["next_cursor"] is None

    by_status = client.get("/api/v1/jobs", params={"status": "failed"}).json()["items"]
    assert [job["id"] for job in by_status] == [failed]
    assert "ValueError: bad vendor reply" in by_status[0]["error"]
    by_device = client.get("/api/v1/jobs", params={"device": "olt-1", "type": "lab.add"}).json()
    assert sorted(job["id"] for job in by_device["items"]) == sorted(done)

    wrong = client.get("/api/v1/jobs", params={"status": "sleeping"})
    assert wrong.status_code == 422
    assert wrong.json()["invalid_params"][0]["name"] == "query.status"


def test_get_a_job(make_kernel, lab, rjc_client_factory):
    kernel = make_kernel(lab)
    job_id = kernel.jobs.enqueue("lab.add", {"a": 1, "b": 2})
    client = rjc_client_factory("viewer", kernel=kernel)

    job = client.get(f"/api/v1/jobs/{job_id}").json()
    assert (job["status"], job["result"], job["params"]) == ("done", {"sum": 3}, {"a": 1, "b": 2})
    missing = client.get("/api/v1/jobs/01NOSUCHJOB0000000000000000")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_cancel_is_audited_and_refused_for_finished_jobs(make_kernel, lab, rjc_client_factory):
    kernel = make_kernel(lab)
    waiting = kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1}, run_at=utcnow() + timedelta(hours=1))
    finished = kernel.jobs.enqueue("lab.add", {"a": 1, "b": 1})
    client = rjc_client_factory("operator", kernel=kernel)

    answer = client.post(f"/api/v1/jobs/{waiting}/cancel")
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    (entry,) = _audit(kernel, "jobs.cancel")
    assert entry.target == f"job:{waiting}"

    conflict = client.post(f"/api/v1/jobs/{finished}/cancel")
    assert conflict.status_code == 409
    assert "already done" in conflict.json()["detail"]
    assert client.post("/api/v1/jobs/01NOSUCHJOB0000000000000000/cancel").status_code == 404
    assert len(_audit(kernel, "jobs.cancel")) == 1


def test_retry_a_failed_job(make_kernel, lab, rjc_client_factory):
    kernel = make_kernel(lab)
    lab.flaky_failures = 3
    job_id = kernel.jobs.enqueue("lab.flaky", {})
    client = rjc_client_factory("operator", kernel=kernel)

    answer = client.post(f"/api/v1/jobs/{job_id}/retry")
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["result"]) == ("done", "ok")
    (entry,) = _audit(kernel, "jobs.retry")
    assert entry.target == f"job:{job_id}"
    again = client.post(f"/api/v1/jobs/{job_id}/retry")
    assert again.status_code == 409


def test_a_viewer_may_read_but_not_change(make_kernel, lab, rjc_client_factory):
    kernel = make_kernel(lab)
    job_id = kernel.jobs.enqueue("lab.broken", {})
    viewer = rjc_client_factory("viewer", kernel=kernel)

    assert viewer.get(f"/api/v1/jobs/{job_id}").status_code == 200
    for action in ("cancel", "retry"):
        answer = viewer.post(f"/api/v1/jobs/{job_id}/{action}")
        assert answer.status_code == 403
        assert answer.json()["permission"] == "jobs.write"
    assert kernel.jobs.get(job_id).status == "failed"
    assert _audit(kernel, "jobs.retry") == []

    anonymous = rjc_client_factory(None, kernel=kernel)
    assert anonymous.get("/api/v1/jobs").status_code == 401


def test_list_schedules(make_kernel, rjc_client_factory):
    lab = Lab(schedules=[Schedule("tick", "lab.tick", every=timedelta(minutes=10))])
    kernel = make_kernel(lab)
    kernel.jobs.run_schedules(now=utcnow())
    client = rjc_client_factory("viewer", kernel=kernel)

    items = client.get("/api/v1/schedules", params={"kind": "schedule"}).json()["items"]
    by_name = {item["name"]: item for item in items}
    assert {"tick", "jobs.purge"} <= set(by_name)
    assert by_name["tick"]["every_seconds"] == 600
    assert by_name["tick"]["job_type"] == "lab.tick"
    assert by_name["tick"]["last_job_id"]
    assert "lease_owner" not in by_name["tick"]
    assert client.get("/api/v1/schedules", params={"kind": "collector"}).json()["items"] == []
