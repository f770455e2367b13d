"""The firmware store: uploads checked and bounded, tokened downloads with Range, download tasks
that name a stored image, and the campaign API's checks."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from acs_testkit import ScriptedCpe, acs_settings, read
from test_tasks import known_device

from rjchronos_acs_tr069 import PLUGIN, campaigns, firmware, hooks, messages

IMAGE = bytes(range(256)) * 40  # 10,240 bytes


def upload(api: Any, image: bytes = IMAGE, **params: Any) -> Any:
    query = {"version": "V5.0", "sha256": hashlib.sha256(image).hexdigest(), **params}
    return api.post(
        "/api/v1/firmware",
        params=query,
        content=image,
        headers={"content-type": "application/octet-stream"},
    )


def stored_files(kernel: Any) -> list[str]:
    folder = firmware.store_dir(kernel)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_upload_list_get_delete_and_audit(acs_kernel: Any, api: Any) -> None:
    created = upload(api, product_class="HG8245", oui="00259e", filename="hg-v5.bin")
    assert created.status_code == 201, created.text
    image = created.json()
    assert image["size"] == len(IMAGE) and image["oui"] == "00259E"
    assert image["sha256"] == hashlib.sha256(IMAGE).hexdigest()
    assert image["file_type"] == "1 Firmware Upgrade Image"
    assert stored_files(acs_kernel) == [image["id"]]
    assert (firmware.store_dir(acs_kernel) / image["id"]).read_bytes() == IMAGE
    assert api.get(f"/api/v1/firmware/{image['id']}").json() == image
    listed = api.get("/api/v1/firmware", params={"version": "V5.0"}).json()["items"]
    assert [i["id"] for i in listed] == [image["id"]]
    assert api.delete(f"/api/v1/firmware/{image['id']}").status_code == 204
    assert api.get(f"/api/v1/firmware/{image['id']}").status_code == 404
    assert stored_files(acs_kernel) == []
    audit = api.get("/api/v1/audit", params={"limit": 50}).json()["items"]
    assert {"acs.firmware.create", "acs.firmware.delete"} <= {e["action"] for e in audit}


def test_bad_uploads_are_refused_and_leave_nothing(
    acs_kernel: Any, api: Any, rjc_client_factory: Any
) -> None:
    wrong = upload(api, sha256="0" * 64)
    assert wrong.status_code == 422
    assert wrong.json()["invalid_params"][0]["name"] == "query.sha256"
    missing = api.post("/api/v1/firmware", params={"sha256": "0" * 64}, content=IMAGE)
    assert missing.status_code == 422
    assert missing.json()["invalid_params"][0]["name"] == "query.version"
    assert upload(api, oui="XYZ").status_code == 422
    assert upload(api, filename="../../etc/passwd").status_code == 422
    assert upload(api, image=b"").status_code == 422
    viewer = rjc_client_factory("viewer", kernel=acs_kernel)
    assert upload(viewer).status_code == 403
    assert api.get("/api/v1/firmware").json()["items"] == []
    assert stored_files(acs_kernel) == []


def test_an_image_above_the_limit_gets_413(
    rjc_kernel_factory: Any, rjc_client_factory: Any
) -> None:
    kernel = rjc_kernel_factory(
        plugins={PLUGIN: hooks},
        plugin_settings={PLUGIN: acs_settings(firmware_max_bytes=4096)},
    )
    api = rjc_client_factory("admin", kernel=kernel)
    assert upload(api).status_code == 413

    def chunked() -> Any:  # no Content-Length: the stream is cut off at the limit
        yield IMAGE[:3000]
        yield IMAGE[3000:]

    response = api.post(
        "/api/v1/firmware",
        params={"version": "V5.0", "sha256": hashlib.sha256(IMAGE).hexdigest()},
        content=chunked(),
    )
    assert response.status_code == 413
    assert stored_files(kernel) == []


def test_tokened_download_with_ranges(acs_kernel: Any, api: Any, acs_http: Any) -> None:
    image = upload(api).json()
    token = firmware.token_for(acs_kernel, image["id"], "01DEVICE")
    whole = acs_http.get(f"/firmware/{token}")
    assert whole.status_code == 200 and whole.content == IMAGE
    assert whole.headers["accept-ranges"] == "bytes"
    part = acs_http.get(f"/firmware/{token}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == IMAGE[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(IMAGE)}"
    tail = acs_http.get(f"/firmware/{token}", headers={"Range": "bytes=10000-"})
    assert tail.status_code == 206 and tail.content == IMAGE[10000:]
    beyond = acs_http.get(f"/firmware/{token}", headers={"Range": f"bytes={len(IMAGE)}-"})
    assert beyond.status_code == 416
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert acs_http.get(f"/firmware/{tampered}").status_code == 403
    expired = firmware.token_for(acs_kernel, image["id"], "01DEVICE", ttl=-1)
    assert acs_http.get(f"/firmware/{expired}").status_code == 403
    assert acs_http.get("/firmware/not-a-token").status_code == 403


def test_a_download_task_names_a_stored_image(
    cpe: ScriptedCpe, acs_kernel: Any, api: Any, acs_http: Any
) -> None:
    device_id = known_device(cpe, acs_kernel)
    other = upload(api, product_class="F670L", version="V9").json()
    refused = api.post(
        f"/api/v1/devices/{device_id}/tasks", json={"type": "download", "file": other["id"]}
    )
    assert refused.status_code == 422
    assert refused.json()["invalid_params"][0]["name"] == "body.file"
    both = {"type": "download", "file": other["id"], "url": "http://x/fw.bin"}
    assert api.post(f"/api/v1/devices/{device_id}/tasks", json=both).status_code == 422
    image = upload(api, product_class="HG8245", filename="hg.bin").json()
    task = api.post(
        f"/api/v1/devices/{device_id}/tasks", json={"type": "download", "file": image["id"]}
    ).json()
    assert task["params"]["file_size"] == len(IMAGE)
    cpe.inform()
    request = read(cpe.post())
    assert request.method == "Download"
    fields = messages.simple_fields(request.body)
    assert fields["FileSize"] == str(len(IMAGE)) and fields["TargetFileName"] == "hg.bin"
    assert fields["FileType"] == "1 Firmware Upgrade Image" and fields["CommandKey"] == task["id"]
    url = fields["URL"]
    assert url.startswith("http://127.0.0.1:7547/firmware/")
    claims = firmware.read_token(acs_kernel, url.rsplit("/", 1)[1])
    assert claims == (image["id"], device_id)  # bound to this image and this device
    assert acs_http.get(url.replace("http://127.0.0.1:7547", "")).content == IMAGE


@pytest.mark.parametrize(
    ("window", "now", "inside"),
    [
        (None, "2026-01-01T12:00:00+00:00", True),
        ({"start": "01:00", "end": "05:00"}, "2026-01-01T03:00:00+00:00", True),
        ({"start": "01:00", "end": "05:00"}, "2026-01-01T05:00:00+00:00", False),
        # 02:30 in São Paulo (UTC-3) is 05:30 UTC.
        (
            {"start": "02:00", "end": "03:00", "timezone": "America/Sao_Paulo"},
            "2026-01-01T05:30:00+00:00",
            True,
        ),
        ({"start": "22:00", "end": "04:00"}, "2026-01-01T23:30:00+00:00", True),
        ({"start": "22:00", "end": "04:00"}, "2026-01-01T03:59:00+00:00", True),
        ({"start": "22:00", "end": "04:00"}, "2026-01-01T12:00:00+00:00", False),
    ],
)
def test_maintenance_windows(window: Any, now: str, inside: bool) -> None:
    assert campaigns.in_window(window, datetime.fromisoformat(now).astimezone(UTC)) is inside


def test_campaign_api_checks_and_transitions(cpe: ScriptedCpe, acs_kernel: Any, api: Any) -> None:
    device_id = known_device(cpe, acs_kernel)
    image = upload(api, version="V3R017C10S130").json()
    base = {"name": "c", "firmware": image["id"], "target": {"model": "HG8245"}}
    bad_window = api.post(
        "/api/v1/campaigns", json={**base, "window": {"start": "25:00", "end": "04:00"}}
    )
    assert bad_window.status_code == 422
    assert bad_window.json()["invalid_params"][0]["name"] == "body.window.start"
    nobody = api.post("/api/v1/campaigns", json={**base, "target": {"tag": "nobody"}})
    assert nobody.status_code == 422 and nobody.json()["invalid_params"][0]["name"] == "body.target"
    unknown = api.post("/api/v1/campaigns", json={**base, "firmware": "01NOSUCHIMAGE"})
    assert unknown.json()["invalid_params"][0]["name"] == "body.firmware"
    # Outside its window nothing starts; the device waits in the first batch.
    closed = {"start": "00:00", "end": "00:01", "timezone": "UTC"}
    created = api.post("/api/v1/campaigns", json={**base, "window": closed})
    assert created.status_code == 201, created.text
    campaign = created.json()
    if not campaigns.in_window(closed, datetime.now(UTC)):
        assert campaign["counts"]["pending"] == 1 and campaign["status"] == "running"
    listed = api.get(f"/api/v1/campaigns/{campaign['id']}/devices").json()["items"]
    assert listed[0]["device_id"] == device_id and listed[0]["previous_version"] == "V3R017C10S120"
    assert api.post(f"/api/v1/campaigns/{campaign['id']}/resume").status_code == 409
    paused = api.post(f"/api/v1/campaigns/{campaign['id']}/pause").json()
    assert paused["status"] == "paused"
    resumed = api.post(f"/api/v1/campaigns/{campaign['id']}/resume", json={"max_failures": 3})
    assert resumed.json()["max_failures"] == 3
    cancelled = api.post(f"/api/v1/campaigns/{campaign['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert api.delete(f"/api/v1/firmware/{image['id']}").status_code == 409
    assert api.post("/api/v1/campaigns/01NOSUCHCAMPAIGN/pause").status_code == 404


def test_a_transfer_never_reported_fails_after_its_timeout_even_across_a_restart(
    cpe: ScriptedCpe, acs_kernel: Any, api: Any, rjc_kernel_factory: Any
) -> None:
    device_id = known_device(cpe, acs_kernel)
    image = upload(api, version="V3R017C10S130").json()
    spec = {
        "name": "t",
        "firmware": image["id"],
        "target": {"devices": [device_id]},
        "max_failures": 1,
        "transfer_timeout_seconds": 600,
    }
    campaign = campaigns.create(acs_kernel, spec, "tester")
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert campaigns.advance(acs_kernel, campaign.id, start).wake == [device_id]
    assert campaigns.advance(acs_kernel, campaign.id, start + timedelta(seconds=60)).wake == []
    # Another process on the same database (a restart) picks the campaign up from its rows:
    # the job without a campaign (what the schedule runs) advances every open one.
    restarted = rjc_kernel_factory(
        plugins={PLUGIN: hooks}, plugin_settings={PLUGIN: acs_settings()}
    )
    job = restarted.jobs.get(restarted.jobs.enqueue(campaigns.JOB_TYPE, {}))
    assert job.status == "done", job.error
    assert job.result[campaign.id]["finished"] == {device_id: "failed"}
    assert job.result[campaign.id]["status"] == "paused"
    row = api.get(f"/api/v1/campaigns/{campaign.id}/devices").json()["items"][0]
    assert row["error"] == "download: no TransferComplete in time"
    task = api.get(f"/api/v1/devices/{device_id}/tasks").json()["items"][0]
    assert task["id"] == row["task"] and task["status"] == "expired"
    audit = api.get("/api/v1/audit", params={"limit": 20}).json()["items"]
    assert any(
        e["action"] == "acs.campaigns.pause" and e["actor"] == "acs.campaigns" for e in audit
    )


def test_a_campaigns_devices_come_in_pages_by_batch(acs_kernel: Any, api: Any) -> None:
    ids = []
    for n in range(5):
        added = api.post("/api/v1/devices", json={"kind": "cpe", "name": f"PAGE-{n}"})
        assert added.status_code == 201, added.text
        ids.append(added.json()["id"])
    image = upload(api).json()
    created = api.post(
        "/api/v1/campaigns",
        json={
            "name": "pages",
            "firmware": image["id"],
            "target": {"devices": ids},
            "batch_size": 2,
        },
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/campaigns/{created.json()['id']}/devices"
    whole = api.get(url).json()
    assert whole["next_cursor"] is None
    assert [(r["batch"], r["device_id"]) for r in whole["items"]] == [
        (n // 2, device_id) for n, device_id in enumerate(sorted(ids))
    ]
    seen, cursor, pages = [], "", 0
    while True:
        page = api.get(url, params={"limit": 2, "cursor": cursor}).json()
        seen += [r["device_id"] for r in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert (seen, pages) == ([r["device_id"] for r in whole["items"]], 3)
    bad = api.get(url, params={"cursor": "bm90LWEtY3Vyc29y"})
    assert bad.status_code == 422 and bad.json()["invalid_params"][0]["name"] == "query.cursor"
