"""A firmware campaign over 200 simulated CPEs, 10% of which fail their download: it pauses at
its failure threshold, and rollback puts the previous image back, checked on the simulator."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from acs_testkit import assert_valid
from simkit import Sim, start_sim

from rjchronos_acs_tr069 import campaigns
from rjchronos_sdk.sim.cpe import firmware_image

NEW_VERSION = "V10.0.1-rjc"
COUNT = 200


def _upload(sim: Sim, image: bytes, version: str, product_class: str = "") -> str:
    response = sim.api.post(
        "/api/v1/firmware",
        params={
            "version": version,
            "sha256": hashlib.sha256(image).hexdigest(),
            "product_class": product_class,
            "filename": "fw.bin",
        },
        content=image,
        headers={"content-type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _advance_until(sim: Sim, campaign_id: str, done: Any, timeout: float = 90) -> dict[str, Any]:
    """Run the campaign's job (as the schedule does) until ``done(campaign)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        job = sim.kernel.jobs.enqueue(campaigns.JOB_TYPE, {"campaign": campaign_id})
        assert sim.kernel.jobs.get(job).status == "done"
        campaign: dict[str, Any] = sim.api.get(f"/api/v1/campaigns/{campaign_id}").json()
        if done(campaign) or time.monotonic() > deadline:
            return campaign
        time.sleep(0.3)


def test_campaign_pauses_at_its_threshold_and_rollback_restores_the_previous_version(
    rjc_kernel_factory: Any, rjc_client_factory: Any
) -> None:
    sim, listener = start_sim(
        rjc_kernel_factory,
        rjc_client_factory,
        "tr181",
        "1.4",
        count=COUNT,
        fleet_options={"fail_downloads": 0.1, "fail_downloads_times": 1},
    )
    try:
        _run(sim)
    finally:
        sim.fleet.stop()
        listener.__exit__(None, None, None)


def _run(sim: Sim) -> None:
    fleet = sim.fleet.fleet
    cpes = {sim.device_id(cpe): cpe for cpe in fleet.cpes}
    before = {d: sim.value(cpe, cpe.paths.software_version) for d, cpe in cpes.items()}
    injected = {d for d, cpe in cpes.items() if cpe.download_failures}
    assert len(injected) == COUNT // 10
    new_image = _upload(sim, firmware_image(NEW_VERSION, size=8192), NEW_VERSION)
    for cpe in fleet.cpes:  # the image each model ran before, for rollbacks
        version = sim.value(cpe, cpe.paths.software_version)
        if not sim.api.get("/api/v1/firmware", params={"version": version}).json()["items"]:
            _upload(sim, firmware_image(version), version, cpe.product_class)

    created = sim.api.post(
        "/api/v1/campaigns",
        json={
            "name": "fleet to V10",
            "firmware": new_image,
            "target": {"devices": sorted(cpes)},
            "batch_size": COUNT // 5,
            "concurrency": COUNT // 5,
            "max_failures": COUNT // 20,
            "transfer_timeout_seconds": 60,
        },
    )
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    paused = _advance_until(sim, campaign_id, lambda c: c["status"] != "running")
    counts = paused["counts"]
    assert paused["status"] == "paused", paused
    assert paused["reason"].startswith("failure threshold reached")
    assert counts["failed"] >= COUNT // 20 and counts["succeeded"] > 0 and counts["pending"] > 0, (
        counts
    )
    # In-flight transfers still finish while paused; nothing new starts.
    settled = _advance_until(sim, campaign_id, lambda c: c["counts"]["in_progress"] == 0)
    assert settled["counts"]["pending"] == counts["pending"]
    rows = sim.api.get(f"/api/v1/campaigns/{campaign_id}/devices").json()["items"]
    failed = {r["device_id"] for r in rows if r["state"] == "failed"}
    succeeded = {r["device_id"] for r in rows if r["state"] == "succeeded"}
    assert failed and failed <= injected
    for device_id in succeeded:
        assert sim.value(cpes[device_id], cpes[device_id].paths.software_version) == NEW_VERSION
    for device_id in failed:
        assert (
            sim.value(cpes[device_id], cpes[device_id].paths.software_version) == before[device_id]
        )

    rolled = sim.api.post(f"/api/v1/campaigns/{campaign_id}/rollback", json={"scope": "failed"})
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["rolling_back"] == len(failed)
    back = _advance_until(sim, campaign_id, lambda c: c["counts"]["rolling_back"] == 0)
    assert back["counts"]["rolled_back"] == len(failed), back["counts"]
    for device_id in failed:
        cpe = cpes[device_id]
        assert sim.value(cpe, cpe.paths.software_version) == before[device_id]
        # Two downloads reported: the campaign's (failed) and the rollback's, then a reboot.
        assert cpe.stats.events["M Download"] == 2
        assert cpe.stats.events["1 BOOT"] >= 1

    # On request, every upgraded device goes back too.
    sim.api.post(f"/api/v1/campaigns/{campaign_id}/rollback", json={"scope": "all"})
    everyone = _advance_until(sim, campaign_id, lambda c: c["counts"]["rolling_back"] == 0)
    assert everyone["counts"]["succeeded"] == 0
    assert everyone["counts"]["rolled_back"] == len(failed) + len(succeeded)
    for device_id in succeeded:
        cpe = cpes[device_id]
        assert sim.value(cpe, cpe.paths.software_version) == before[device_id]
    timeline = sim.api.get(f"/api/v1/devices/{next(iter(failed))}/events").json()["items"]
    states = [e["payload"]["state"] for e in timeline if e["type"] == "cpe.firmware_campaign"]
    assert states == ["rolled_back", "rolling_back", "failed", "in_progress"]  # newest first
    downloads = [m for m in sim.recorder.messages if b"Download>" in m]
    assert len(downloads) >= len(succeeded) + 2 * len(failed)
    for message in downloads:
        assert_valid(message, "1.4")
    audit = sim.api.get("/api/v1/audit", params={"limit": 200}).json()["items"]
    actions = {entry["action"] for entry in audit}
    assert {"acs.campaigns.create", "acs.campaigns.rollback", "acs.firmware.create"} <= actions
