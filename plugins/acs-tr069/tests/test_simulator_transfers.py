"""Transfers and scheduling over real HTTP with simulated CPEs: Download (a firmware image the
test serves), Upload, ScheduleInform and CancelTransfer, TransferComplete matched to its task."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from acs_testkit import assert_valid, served
from simkit import COMBINATIONS, Sim, start_sim
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rjchronos_sdk.sim.cpe import firmware_image

NEW_FIRMWARE = "V9.9.9-rjc"


class FileServer:
    """What an ISP's file server does: serve firmware images, take uploaded files."""

    def __init__(self) -> None:
        self.images = {"fw.bin": firmware_image(NEW_FIRMWARE)}
        self.uploads: dict[str, bytes] = {}

    def app(self) -> Starlette:
        async def download(request: Request) -> Response:
            image = self.images.get(request.path_params["name"])
            if image is None:
                return Response(status_code=404)
            return Response(image, media_type="application/octet-stream")

        async def upload(request: Request) -> Response:
            self.uploads[request.path_params["name"]] = await request.body()
            return Response(status_code=201)

        return Starlette(
            routes=[
                Route("/files/{name}", download, methods=["GET"]),
                Route("/uploads/{name}", upload, methods=["PUT"]),
            ]
        )


@pytest.fixture
def files() -> Iterator[tuple[FileServer, str]]:
    server = FileServer()
    with served(server.app()) as url:
        yield server, url


@pytest.fixture(params=COMBINATIONS, ids=lambda c: f"{c[0]}-cwmp{c[1]}")
def sim(request: Any, rjc_kernel_factory: Any, rjc_client_factory: Any) -> Iterator[Sim]:
    sim, listener = start_sim(rjc_kernel_factory, rjc_client_factory, *request.param)
    try:
        yield sim
    finally:
        sim.fleet.stop()
        listener.__exit__(None, None, None)


def test_firmware_download_completes_its_task_and_updates_the_device(
    sim: Sim, files: tuple[FileServer, str]
) -> None:
    server, url = files
    cpe = sim.fleet.fleet.cpes[0]
    image = server.images["fw.bin"]
    body = {
        "type": "download",
        "url": f"{url}/files/fw.bin",
        "file_type": "1 Firmware Upgrade Image",
        "file_size": len(image),
        "target_file_name": "fw.bin",
    }
    # ?wait covers the whole transfer: Download, reboot, then TransferComplete.
    accepted = sim.task(cpe, body)
    finished = sim.wait_for_task(cpe, accepted["id"])
    assert finished["status"] == "done", finished
    assert finished["result"]["Status"] == "1"  # the CPE accepted it to do later
    assert finished["result"]["transfer"] == "complete"
    assert finished["result"]["firmware"] == NEW_FIRMWARE
    assert sim.value(cpe, cpe.paths.software_version) == NEW_FIRMWARE
    device = sim.api.get(f"/api/v1/devices/{sim.device_id(cpe)}").json()
    assert device["firmware"] == NEW_FIRMWARE
    timeline = sim.api.get(f"/api/v1/devices/{sim.device_id(cpe)}/events").json()["items"]
    reports = [e["payload"] for e in timeline if e["type"] == "cpe.transfer_complete"]
    assert reports == [
        {
            "command_key": accepted["id"],
            "autonomous": False,
            "fault_code": 0,
            "fault_string": "",
            "task": accepted["id"],
        }
    ]

    missing = sim.task(cpe, {**body, "url": f"{url}/files/missing.bin"})
    failed = sim.wait_for_task(cpe, missing["id"])
    assert failed["status"] == "fault"
    # CWMP 1.0 knows only the generic transfer failure; later versions say what went wrong.
    expected = 9010 if sim.version == "1.0" else 9016
    assert failed["fault"]["code"] == expected
    assert failed["fault"]["meaning"].startswith("File transfer failure")
    assert sim.value(cpe, cpe.paths.software_version) == NEW_FIRMWARE
    for message in sim.recorder.messages:
        assert_valid(message, sim.version)


def test_upload_sends_the_configuration_to_the_server(
    sim: Sim, files: tuple[FileServer, str]
) -> None:
    server, url = files
    cpe = sim.fleet.fleet.cpes[1]
    body = {
        "type": "upload",
        "url": f"{url}/uploads/{cpe.serial}.cfg",
        "file_type": "1 Vendor Configuration File",
        "username": "uploader",
        "password": "upload-s3cret",
    }
    accepted = sim.task(cpe, body)
    assert "password" not in accepted["params"] and "password_encrypted" not in accepted["params"]
    finished = sim.wait_for_task(cpe, accepted["id"])
    assert finished["status"] == "done", finished
    uploaded = server.uploads[f"{cpe.serial}.cfg"].decode()
    ssid = sim.paths["ssid"]
    assert f"{ssid}={sim.value(cpe, ssid)}" in uploaded.splitlines()
    for message in sim.recorder.messages:
        assert_valid(message, sim.version)


def test_schedule_inform_and_cancel_transfer(sim: Sim, files: tuple[FileServer, str]) -> None:
    _, url = files
    cpe = sim.fleet.fleet.cpes[0]
    scheduled = sim.task(cpe, {"type": "schedule_inform", "delay_seconds": 1})
    assert scheduled["status"] == "done"
    sim.fleet.wait_until(lambda: cpe.stats.events["M ScheduleInform"] == 1)
    assert cpe.stats.events["3 SCHEDULED"] == 1

    later = {
        "type": "download",
        "url": f"{url}/files/fw.bin",
        "file_type": "1 Firmware Upgrade Image",
        "delay_seconds": 600,
    }
    queued = sim.api.post(f"/api/v1/devices/{sim.device_id(cpe)}/tasks", json=later).json()
    sim.fleet.call(sim.fleet.fleet.connection_request, cpe)
    sim.fleet.wait_until(lambda: bool(cpe.transfers))
    # The CPE holds the transfer before its DownloadResponse reaches the ACS.
    download = sim.wait_for_result(cpe, queued["id"])
    assert download["status"] == "running"
    assert download["result"]["transfer"] == "started"
    assert sim.fleet.call(lambda: [t.command_key for t in cpe.transfers]) == [download["id"]]
    cancel = sim.task(cpe, {"type": "cancel_transfer", "task": download["id"]})
    if sim.version == "1.0":
        # CancelTransfer does not exist in CWMP 1.0: the task says so, the transfer goes on.
        assert cancel["status"] == "fault" and cancel["fault"]["code"] == 9000
        assert sim.task_now(cpe, download["id"])["status"] == "running"
        assert sim.fleet.call(lambda: len(cpe.transfers)) == 1
    else:
        assert cancel["status"] == "done"
        canceled = sim.task_now(cpe, download["id"])
        assert canceled["status"] == "fault"
        assert canceled["fault"]["meaning"] == "Transfer canceled"
        assert sim.fleet.call(lambda: cpe.transfers) == []
    for message in sim.recorder.messages:
        assert_valid(message, sim.version)


def test_cancel_transfer_must_name_a_transfer_task(sim: Sim) -> None:
    cpe = sim.fleet.fleet.cpes[0]
    response = sim.api.post(
        f"/api/v1/devices/{sim.device_id(cpe)}/tasks",
        json={"type": "cancel_transfer", "task": "01JNOTATASK0000000000000000"[:26]},
    )
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "body.task"
    file_form = sim.api.post(
        f"/api/v1/devices/{sim.device_id(cpe)}/tasks",
        json={"type": "download", "file": "01JFILE"},
    )
    assert file_form.status_code == 422
