"""Every ACS RPC answered correctly, and faults (never a crash) for bad input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from rjchronos_sdk.sim.cpe.fleet import Fleet
from rjchronos_sdk.sim.cpe.soap import AcsMessage

from .conftest import ScriptedAcs, fault_of, values_of
from .test_session import fleet_for

pytestmark = pytest.mark.anyio


@pytest.fixture
async def fleet(acs: ScriptedAcs) -> AsyncIterator[Fleet]:
    async with fleet_for(acs, 1, model="tr181") as running:
        await running.wait_until(lambda: running.counters["sessions_ok"] == 1)
        yield running


async def rpc(acs: ScriptedAcs, fleet: Fleet, method: str, content: str = "") -> AcsMessage:
    cpe = fleet.cpes[0]
    answer = acs.call(cpe.serial, method, content)
    fleet.connection_request(cpe)
    return await asyncio.wait_for(answer, 10)


def names(*paths: str) -> str:
    items = "".join(f"<string>{p}</string>" for p in paths)
    return f'<ParameterNames soapenc:arrayType="xsd:string[{len(paths)}]">{items}</ParameterNames>'


def values(*entries: tuple[str, str, str]) -> str:
    items = "".join(
        f'<ParameterValueStruct><Name>{n}</Name><Value xsi:type="xsd:{t}">{v}</Value>'
        "</ParameterValueStruct>"
        for n, v, t in entries
    )
    return (
        f'<ParameterList soapenc:arrayType="cwmp:ParameterValueStruct[{len(entries)}]">{items}'
        "</ParameterList><ParameterKey>key-1</ParameterKey>"
    )


def parameter_names(message: AcsMessage) -> dict[str, str]:
    return {
        item.findtext("Name") or "": item.findtext("Writable") or ""
        for item in message.element.find("ParameterList")
    }


async def test_get_rpc_methods(acs: ScriptedAcs, fleet: Fleet) -> None:
    answer = await rpc(acs, fleet, "GetRPCMethods")
    assert answer.method == "GetRPCMethodsResponse"
    methods = [s.text for s in answer.element.find("MethodList")]
    assert "ScheduleDownload" in methods and "CancelTransfer" in methods
    assert len(methods) == 15


async def test_get_parameter_names(acs: ScriptedAcs, fleet: Fleet) -> None:
    root = parameter_names(
        await rpc(
            acs,
            fleet,
            "GetParameterNames",
            "<ParameterPath></ParameterPath><NextLevel>1</NextLevel>",
        )
    )
    assert root == {"Device.": "0"}
    level = parameter_names(
        await rpc(
            acs,
            fleet,
            "GetParameterNames",
            "<ParameterPath>Device.WiFi.</ParameterPath><NextLevel>true</NextLevel>",
        )
    )
    assert level["Device.WiFi.SSID."] == "1"  # a table that accepts AddObject
    assert level["Device.WiFi.RadioNumberOfEntries"] == "0"
    assert "Device.WiFi.SSID.1." not in level
    everything = parameter_names(
        await rpc(
            acs,
            fleet,
            "GetParameterNames",
            "<ParameterPath>Device.WiFi.SSID.</ParameterPath><NextLevel>0</NextLevel>",
        )
    )
    assert everything["Device.WiFi.SSID.1.SSID"] == "1"
    assert everything["Device.WiFi.SSID.2.Stats.BytesSent"] == "0"
    single = parameter_names(
        await rpc(
            acs,
            fleet,
            "GetParameterNames",
            "<ParameterPath>Device.DeviceInfo.UpTime</ParameterPath><NextLevel>0</NextLevel>",
        )
    )
    assert single == {"Device.DeviceInfo.UpTime": "0"}
    bad = await rpc(
        acs,
        fleet,
        "GetParameterNames",
        "<ParameterPath>Device.Nope.</ParameterPath><NextLevel>0</NextLevel>",
    )
    assert fault_of(bad)[0] == 9005
    leaf_next = await rpc(
        acs,
        fleet,
        "GetParameterNames",
        "<ParameterPath>Device.DeviceInfo.UpTime</ParameterPath><NextLevel>1</NextLevel>",
    )
    assert fault_of(leaf_next)[0] == 9003


async def test_get_parameter_values_with_partial_paths(acs: ScriptedAcs, fleet: Fleet) -> None:
    cpe = fleet.cpes[0]
    answer = values_of(
        await rpc(
            acs,
            fleet,
            "GetParameterValues",
            names("Device.DeviceInfo.", "Device.Optical.Interface.1.OpticalSignalLevel"),
        )
    )
    assert answer["Device.DeviceInfo.SerialNumber"] == (cpe.serial, "xsd:string")
    assert answer["Device.DeviceInfo.UpTime"][1] == "xsd:unsignedInt"
    level, kind = answer["Device.Optical.Interface.1.OpticalSignalLevel"]
    assert kind == "xsd:int" and -28000 < int(level) < -15000
    assert "Device.DeviceInfo.ProcessStatus.CPUUsage" in answer
    assert answer["Device.DeviceInfo.MemoryStatus.Total"] == ("262144", "xsd:unsignedInt")
    bad = await rpc(acs, fleet, "GetParameterValues", names("Device.DeviceInfo.Nope"))
    assert fault_of(bad)[0] == 9005
    missing = await rpc(acs, fleet, "GetParameterValues", "")
    assert fault_of(missing)[0] == 9003


async def test_set_parameter_values_changes_the_cpe(acs: ScriptedAcs, fleet: Fleet) -> None:
    cpe = fleet.cpes[0]
    answer = await rpc(
        acs,
        fleet,
        "SetParameterValues",
        values(
            ("Device.WiFi.SSID.1.SSID", "provisioned", "string"),
            ("Device.WiFi.Radio.1.Channel", "11", "unsignedInt"),
            ("Device.ManagementServer.PeriodicInformInterval", "600", "unsignedInt"),
        ),
    )
    assert answer.method == "SetParameterValuesResponse"
    assert answer.element.findtext("Status") == "0"
    assert cpe.parameters["Device.WiFi.SSID.1.SSID"] == "provisioned"
    assert cpe.parameters["Device.WiFi.Radio.1.Channel"] == "11"
    assert cpe.parameters["Device.ManagementServer.ParameterKey"] == "key-1"
    read = values_of(await rpc(acs, fleet, "GetParameterValues", names("Device.WiFi.SSID.1.SSID")))
    assert read["Device.WiFi.SSID.1.SSID"][0] == "provisioned"


async def test_set_parameter_values_faults_and_applies_nothing(
    acs: ScriptedAcs, fleet: Fleet
) -> None:
    cpe = fleet.cpes[0]
    before = cpe.parameters["Device.WiFi.SSID.1.SSID"]
    answer = await rpc(
        acs,
        fleet,
        "SetParameterValues",
        values(
            ("Device.WiFi.SSID.1.SSID", "never-applied", "string"),
            ("Device.WiFi.Nope", "x", "string"),
            ("Device.WiFi.Radio.1.Channel", "eleven", "unsignedInt"),
            ("Device.WiFi.Radio.1.Enable", "true", "string"),
            ("Device.DeviceInfo.SerialNumber", "X", "string"),
            ("Device.IP.Diagnostics.IPPing.DiagnosticsState", "Complete", "string"),
        ),
    )
    code, entries = fault_of(answer)
    assert code == 9003
    assert entries == [
        ("Device.WiFi.Nope", 9005),
        ("Device.WiFi.Radio.1.Channel", 9007),
        ("Device.WiFi.Radio.1.Enable", 9006),
        ("Device.DeviceInfo.SerialNumber", 9008),
        ("Device.IP.Diagnostics.IPPing.DiagnosticsState", 9007),
    ]
    assert cpe.parameters["Device.WiFi.SSID.1.SSID"] == before
    assert fleet.counters["errors"] == 0


async def test_parameter_attributes_and_value_change(acs: ScriptedAcs, fleet: Fleet) -> None:
    cpe = fleet.cpes[0]
    ssid = "Device.WiFi.SSID.1.SSID"
    change = (
        '<ParameterList soapenc:arrayType="cwmp:SetParameterAttributesStruct[1]">'
        f"<SetParameterAttributesStruct><Name>{ssid}</Name><NotificationChange>1</NotificationChange>"
        "<Notification>2</Notification><AccessListChange>1</AccessListChange>"
        '<AccessList soapenc:arrayType="xsd:string[1]"><string>Subscriber</string></AccessList>'
        "</SetParameterAttributesStruct></ParameterList>"
    )
    assert (
        await rpc(acs, fleet, "SetParameterAttributes", change)
    ).method == "SetParameterAttributesResponse"
    answer = await rpc(acs, fleet, "GetParameterAttributes", names(ssid))
    [entry] = list(answer.element.find("ParameterList"))
    assert entry.findtext("Notification") == "2"
    assert [s.text for s in entry.find("AccessList")] == ["Subscriber"]
    denied = change.replace(ssid, "Device.DeviceInfo.UpTime")
    assert fault_of(await rpc(acs, fleet, "SetParameterAttributes", denied))[0] == 9009
    unknown = change.replace(ssid, "Device.Nope")
    assert fault_of(await rpc(acs, fleet, "SetParameterAttributes", unknown))[0] == 9005

    sessions = len(acs.informs_of(cpe.serial))
    cpe.change_locally(ssid, "changed-by-subscriber")
    await fleet.wait_until(lambda: len(acs.informs_of(cpe.serial)) > sessions)
    inform = acs.informs_of(cpe.serial)[-1]
    assert ("4 VALUE CHANGE", "") in inform.events
    assert inform.parameters[ssid] == "changed-by-subscriber"


async def test_add_and_delete_object(acs: ScriptedAcs, fleet: Fleet) -> None:
    cpe = fleet.cpes[0]
    added = await rpc(
        acs,
        fleet,
        "AddObject",
        "<ObjectName>Device.WiFi.SSID.</ObjectName><ParameterKey>k</ParameterKey>",
    )
    assert added.element.findtext("InstanceNumber") == "3"
    assert cpe.parameters["Device.WiFi.SSIDNumberOfEntries"] == "3"
    assert "Device.WiFi.SSID.3.SSID" in cpe.parameters
    assert "Device.WiFi.SSID.3.Stats.BytesSent" in cpe.parameters
    deleted = await rpc(
        acs,
        fleet,
        "DeleteObject",
        "<ObjectName>Device.WiFi.SSID.3.</ObjectName><ParameterKey>k</ParameterKey>",
    )
    assert deleted.element.findtext("Status") == "0"
    assert "Device.WiFi.SSID.3.SSID" not in cpe.parameters
    assert cpe.parameters["Device.WiFi.SSIDNumberOfEntries"] == "2"
    for bad in ("Device.WiFi.SSID.9.", "Device.DeviceInfo."):
        assert (
            fault_of(await rpc(acs, fleet, "DeleteObject", f"<ObjectName>{bad}</ObjectName>"))[0]
            == 9005
        )
    assert (
        fault_of(await rpc(acs, fleet, "AddObject", "<ObjectName>Device.DeviceInfo.</ObjectName>"))[
            0
        ]
        == 9005
    )
    # Another CPE of the same layout is untouched.
    assert fleet.cpes[0].tree.template.params is not cpe.tree.params


async def test_reboot_informs_1_boot_with_the_command_key(acs: ScriptedAcs, fleet: Fleet) -> None:
    cpe = fleet.cpes[0]
    assert (
        await rpc(acs, fleet, "Reboot", "<CommandKey>rb-1</CommandKey>")
    ).method == "RebootResponse"
    await fleet.wait_until(lambda: ("M Reboot", "rb-1") in acs.informs_of(cpe.serial)[-1].events)
    events = acs.informs_of(cpe.serial)[-1].events
    assert ("1 BOOT", "") in events
    assert int(cpe.parameters["Device.DeviceInfo.UpTime"]) < 60


async def test_factory_reset_bootstraps_with_factory_values(acs: ScriptedAcs, fleet: Fleet) -> None:
    cpe = fleet.cpes[0]
    original = cpe.parameters["Device.WiFi.SSID.1.SSID"]
    await rpc(
        acs, fleet, "SetParameterValues", values(("Device.WiFi.SSID.1.SSID", "custom", "string"))
    )
    await rpc(
        acs,
        fleet,
        "AddObject",
        "<ObjectName>Device.WiFi.SSID.</ObjectName><ParameterKey></ParameterKey>",
    )
    assert (await rpc(acs, fleet, "FactoryReset")).method == "FactoryResetResponse"
    await fleet.wait_until(lambda: len(acs.informs_of(cpe.serial)) >= 5)
    events = [code for code, _ in acs.informs_of(cpe.serial)[-1].events]
    assert events == ["0 BOOTSTRAP", "1 BOOT"]
    assert cpe.parameters["Device.WiFi.SSID.1.SSID"] == original
    assert "Device.WiFi.SSID.3.SSID" not in cpe.parameters


async def test_schedule_inform(acs: ScriptedAcs, fleet: Fleet) -> None:
    cpe = fleet.cpes[0]
    answer = await rpc(
        acs, fleet, "ScheduleInform", "<DelaySeconds>1</DelaySeconds><CommandKey>si</CommandKey>"
    )
    assert answer.method == "ScheduleInformResponse"
    await fleet.wait_until(
        lambda: ("M ScheduleInform", "si") in acs.informs_of(cpe.serial)[-1].events
    )
    assert ("3 SCHEDULED", "") in acs.informs_of(cpe.serial)[-1].events
    zero = await rpc(acs, fleet, "ScheduleInform", "<DelaySeconds>0</DelaySeconds><CommandKey/>")
    assert fault_of(zero)[0] == 9003


async def test_cancel_transfer(acs: ScriptedAcs, fleet: Fleet) -> None:
    cpe = fleet.cpes[0]
    nothing = await rpc(acs, fleet, "CancelTransfer", "<CommandKey>none</CommandKey>")
    assert fault_of(nothing)[0] == 9021
    later = (
        "<CommandKey>later</CommandKey><FileType>1 Firmware Upgrade Image</FileType>"
        f"<URL>{acs.url.replace('/acs', '/files/fw.bin')}</URL><Username/><Password/>"
        "<FileSize>0</FileSize><TargetFileName/><DelaySeconds>3600</DelaySeconds>"
        "<SuccessURL/><FailureURL/>"
    )
    assert (await rpc(acs, fleet, "Download", later)).method == "DownloadResponse"
    assert len(cpe.transfers) == 1
    cancel = await rpc(acs, fleet, "CancelTransfer", "<CommandKey>later</CommandKey>")
    assert cancel.method == "CancelTransferResponse"
    assert cpe.transfers == []


async def test_unknown_and_malformed_requests_get_faults(acs: ScriptedAcs, fleet: Fleet) -> None:
    cpe = fleet.cpes[0]
    assert fault_of(await rpc(acs, fleet, "SelfDestruct"))[0] == 9000
    assert fault_of(await rpc(acs, fleet, "Download", "<CommandKey/>"))[0] == 9003
    ftp = "<CommandKey/><FileType>1 Firmware Upgrade Image</FileType><URL>ftp://x/y</URL>"
    assert fault_of(await rpc(acs, fleet, "Download", ftp))[0] == 9013
    bad_bool = "<ParameterPath>Device.</ParameterPath><NextLevel>maybe</NextLevel>"
    assert fault_of(await rpc(acs, fleet, "GetParameterNames", bad_bool))[0] == 9003
    for raw in (
        b"<not-closed",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        b"<Envelope/>",
        b"\xff\xfe garbage",
    ):
        answer = acs.call_raw(cpe.serial, raw)
        fleet.connection_request(cpe)
        assert fault_of(await asyncio.wait_for(answer, 10))[0] == 9003
    # Still healthy: a normal RPC works afterwards.
    assert (await rpc(acs, fleet, "GetRPCMethods")).method == "GetRPCMethodsResponse"
    assert fleet.counters["errors"] == 0
