"""Running-configuration backups against simulated OLTs: history, dedupe, diff, schedule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from olt_testkit import RunningOlt
from test_collector import add_olt, collect, onus

from rjchronos.db.types import utcnow
from rjchronos_olt_manager.backups import JOB_TYPE


@pytest.mark.parametrize("vendor", ["huawei", "zte"])
def test_backups_keep_changed_versions_and_diff_them(
    vendor: str, api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt(vendor, ports=2, onus_per_port=4)
    olt_id = add_olt(api, olt)
    base = f"/api/v1/olts/{olt_id}/config-backups"

    first = api.post(base)
    assert first.status_code == 201, first.text
    assert first.json()["changed"] is True
    again = api.post(base)  # nothing changed on the OLT: no new version
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]

    collect(olt_kernel, olt_id)
    serial, device = sorted(onus(olt_kernel, olt_id).items())[0]
    removed = api.delete(f"/api/v1/olts/{olt_id}/onus/{device.id}")
    assert removed.status_code == 200, removed.text
    second = api.post(base)
    assert second.status_code == 201 and second.json()["sha256"] != first.json()["sha256"]

    listed = api.get(base).json()
    assert [item["id"] for item in listed["items"]] == [second.json()["id"], first.json()["id"]]
    assert "content" not in listed["items"][0] and listed["last_backup_at"]

    one = api.get(f"{base}/{first.json()['id']}").json()
    assert len(one["content"].splitlines()) > 24  # read past the first screen
    assert "More" not in one["content"]
    shown = serial if vendor == "zte" else serial[4:]  # SmartAX prints the SN in hex
    assert shown in one["content"]

    diff = api.get(f"{base}/diff", params={"from": first.json()["id"]}).json()
    assert diff["identical"] is False and diff["to"]["id"] == second.json()["id"]
    removed_lines = [line for line in diff["diff"].splitlines() if line.startswith("-")]
    assert any(shown in line for line in removed_lines), diff["diff"]
    assert not any(line.startswith("+ ") for line in diff["diff"].splitlines())

    audit = api.get("/api/v1/audit", params={"action": "olts.config_backup"}).json()
    assert len(audit["items"]) == 3


def test_bad_backup_requests_name_the_field(api: Any, running_olt: Any) -> None:
    olt: RunningOlt = running_olt("huawei")
    olt_id = add_olt(api, olt)
    base = f"/api/v1/olts/{olt_id}/config-backups"
    assert api.post(base).status_code == 201
    missing = api.get(f"{base}/diff")
    assert missing.status_code == 422
    assert missing.json()["invalid_params"][0]["name"] == "query.from"
    unknown = api.get(f"{base}/diff", params={"from": "01NOPE"})
    assert unknown.status_code == 404
    assert unknown.json()["invalid_params"][0]["name"] == "query.from"
    assert api.get(f"{base}/01NOPE").status_code == 404


def test_scheduled_backups_and_a_dead_olt(
    api: Any, olt_kernel: Any, running_olt: Any, closed_port: int, rjc_client_factory: Any
) -> None:
    alive: RunningOlt = running_olt("zte")
    alive_id = add_olt(api, alive, name="alive")
    dead_id = add_olt(api, alive, name="dead", ssh_port=closed_port)
    olt_kernel.jobs.run_schedules()  # plans each collector's first run within its jitter
    job_ids = olt_kernel.jobs.run_schedules(now=utcnow() + timedelta(days=2))
    jobs = {
        job.device_id: job
        for job in (olt_kernel.jobs.get(job_id) for job_id in job_ids)
        if job.type == JOB_TYPE
    }
    assert set(jobs) == {alive_id, dead_id}
    assert jobs[alive_id].result["ok"] is True and jobs[alive_id].result["changed"] is True
    assert jobs[dead_id].result["ok"] is False and "unreachable" in jobs[dead_id].result["error"]
    assert len(api.get(f"/api/v1/olts/{alive_id}/config-backups").json()["items"]) == 1

    operator = rjc_client_factory("operator", kernel=olt_kernel)
    assert operator.get(f"/api/v1/olts/{alive_id}/config-backups").status_code == 403
