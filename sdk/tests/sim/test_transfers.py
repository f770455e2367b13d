"""Download, ScheduleDownload and Upload over real HTTP, and TransferComplete afterwards."""

from __future__ import annotations

import asyncio

import pytest

from rjchronos_sdk.sim.cpe.firmware import firmware_image

from .conftest import ScriptedAcs
from .test_rpc import rpc
from .test_session import fleet_for

pytestmark = pytest.mark.anyio


def download_args(acs: ScriptedAcs, name: str, key: str, size: int = 0) -> str:
    url = acs.url.replace("/acs", f"/files/{name}")
    return (
        f"<CommandKey>{key}</CommandKey><FileType>1 Firmware Upgrade Image</FileType>"
        f"<URL>{url}</URL><Username></Username><Password></Password>"
        f"<FileSize>{size}</FileSize><TargetFileName></TargetFileName>"
        "<DelaySeconds>0</DelaySeconds><SuccessURL></SuccessURL><FailureURL></FailureURL>"
    )


def completion(acs: ScriptedAcs, key: str) -> tuple[int, str]:
    for message in acs.transfers:
        if message.element.findtext("CommandKey") == key:
            fault = message.element.find("FaultStruct")
            return int(fault.findtext("FaultCode") or 0), fault.findtext("FaultString") or ""
    raise LookupError(key)


def completed(acs: ScriptedAcs, key: str) -> bool:
    return any(m.element.findtext("CommandKey") == key for m in acs.transfers)


async def test_download_installs_the_firmware_and_reports_it(acs: ScriptedAcs) -> None:
    image = firmware_image("9.9.9", size=20000)
    acs.files["fw.bin"] = image
    async with fleet_for(acs, 1) as fleet:
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 1)
        cpe = fleet.cpes[0]
        answer = await rpc(acs, fleet, "Download", download_args(acs, "fw.bin", "up-1", len(image)))
        assert answer.element.findtext("Status") == "1"
        await fleet.wait_until(lambda: completed(acs, "up-1"))
        assert completion(acs, "up-1") == (0, "")
        assert cpe.parameters["Device.DeviceInfo.SoftwareVersion"] == "9.9.9"
        inform = acs.informs_of(cpe.serial)[-1]
        assert {"1 BOOT", "7 TRANSFER COMPLETE", "M Download"} <= {c for c, _ in inform.events}
        assert ("M Download", "up-1") in inform.events
        assert inform.parameters["Device.DeviceInfo.SoftwareVersion"] == "9.9.9"


async def test_corrupt_or_missing_files_fail_the_transfer(acs: ScriptedAcs) -> None:
    image = firmware_image("2.0", size=5000)
    acs.files["corrupt.bin"] = image[:-10] + b"0123456789"
    acs.files["fw.bin"] = image
    async with fleet_for(acs, 1) as fleet:
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 1)
        cpe = fleet.cpes[0]
        before = cpe.parameters["Device.DeviceInfo.SoftwareVersion"]
        await rpc(acs, fleet, "Download", download_args(acs, "corrupt.bin", "c"))
        await rpc(acs, fleet, "Download", download_args(acs, "fw.bin", "s", len(image) + 1))
        await rpc(acs, fleet, "Download", download_args(acs, "absent.bin", "m"))
        await fleet.wait_until(lambda: all(completed(acs, k) for k in "csm"))
        assert completion(acs, "c")[0] == 9018
        assert completion(acs, "s")[0] == 9018
        assert completion(acs, "m")[0] == 9016
        assert cpe.parameters["Device.DeviceInfo.SoftwareVersion"] == before
        assert fleet.counters["transfers_failed"] == 3


async def test_injected_download_failures_then_success(acs: ScriptedAcs) -> None:
    acs.files["fw.bin"] = firmware_image("3.0")
    async with fleet_for(acs, 10, fail_downloads=0.3) as fleet:
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 10)
        failing = [c for c in fleet.cpes if c.download_failures]
        assert len(failing) == 3
        cpe = failing[0]
        for key in ("first", "second"):
            answer = acs.call(cpe.serial, "Download", download_args(acs, "fw.bin", key))
            fleet.connection_request(cpe)
            await asyncio.wait_for(answer, 10)
            await fleet.wait_until(lambda key=key: completed(acs, key))
        assert completion(acs, "first") == (9010, "injected download failure")
        assert completion(acs, "second")[0] == 0
        assert cpe.parameters["Device.DeviceInfo.SoftwareVersion"] == "3.0"


async def test_schedule_download_runs_in_its_window(acs: ScriptedAcs) -> None:
    acs.files["fw.bin"] = firmware_image("4.0")
    url = acs.url.replace("/acs", "/files/fw.bin")
    args = (
        "<CommandKey>win</CommandKey><FileType>1 Firmware Upgrade Image</FileType>"
        f"<URL>{url}</URL><Username/><Password/><FileSize>0</FileSize><TargetFileName/>"
        '<TimeWindowList soapenc:arrayType="cwmp:TimeWindowStruct[1]"><TimeWindowStruct>'
        "<WindowStart>0</WindowStart><WindowEnd>60</WindowEnd>"
        "<WindowMode>1 At Any Time</WindowMode><UserMessage/><MaxRetries>0</MaxRetries>"
        "</TimeWindowStruct></TimeWindowList>"
    )
    async with fleet_for(acs, 1) as fleet:
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 1)
        assert (
            await rpc(acs, fleet, "ScheduleDownload", args)
        ).method == "ScheduleDownloadResponse"
        await fleet.wait_until(lambda: completed(acs, "win"))
        assert ("M ScheduleDownload", "win") in acs.informs_of(fleet.cpes[0].serial)[-1].events
        assert fleet.cpes[0].parameters["Device.DeviceInfo.SoftwareVersion"] == "4.0"


async def test_upload_puts_the_configuration(acs: ScriptedAcs) -> None:
    url = acs.url.replace("/acs", "/upload/config.txt")
    args = (
        "<CommandKey>up</CommandKey><FileType>1 Vendor Configuration File</FileType>"
        f"<URL>{url}</URL><Username/><Password/><DelaySeconds>0</DelaySeconds>"
    )
    async with fleet_for(acs, 1) as fleet:
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 1)
        cpe = fleet.cpes[0]
        assert (await rpc(acs, fleet, "Upload", args)).method == "UploadResponse"
        await fleet.wait_until(lambda: completed(acs, "up"))
        assert completion(acs, "up")[0] == 0
        ssid = cpe.parameters["Device.WiFi.SSID.1.SSID"]
        assert f"Device.WiFi.SSID.1.SSID={ssid}".encode() in acs.uploads["config.txt"]
        assert b"KeyPassphrase" not in acs.uploads["config.txt"]
        assert ("M Upload", "up") in acs.informs_of(cpe.serial)[-1].events
