"""Values that drift by themselves, and the ``rjchronos-sim cpe`` command."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest
from click.testing import CliRunner

from rjchronos_sdk.sim.cli import main

from .conftest import ScriptedAcs
from .test_session import fleet_for

pytestmark = pytest.mark.anyio


async def test_values_drift_with_time(acs: ScriptedAcs) -> None:
    async with fleet_for(acs, 4, model="tr181") as fleet:
        cpe = next(c for c in fleet.cpes if c.identity.clients_per_band[0])
        counter = "Device.WiFi.SSID.1.Stats.BytesSent"
        cpe.boot_time -= 100
        uptime = int(cpe.parameters["Device.DeviceInfo.UpTime"])
        sent = int(cpe.parameters[counter])
        assert 100 <= uptime < 200
        cpe.boot_time -= 1000
        assert int(cpe.parameters["Device.DeviceInfo.UpTime"]) >= uptime + 1000
        assert int(cpe.parameters[counter]) > sent
        rssi = int(cpe.parameters["Device.WiFi.AccessPoint.1.AssociatedDevice.1.SignalStrength"])
        assert -90 <= rssi <= -30
        rx = int(cpe.parameters["Device.Optical.Interface.1.OpticalSignalLevel"]) / 1000
        assert abs(rx - cpe.identity.rx_dbm) <= 0.6
        assert cpe.parameters["Device.WiFi.Radio.2.OperatingFrequencyBand"] == "5GHz"
        assert cpe.parameters["Device.PPP.Interface.1.Username"].endswith("@isp.example")
        clients = sum(cpe.identity.clients_per_band)
        assert cpe.parameters["Device.Hosts.HostNumberOfEntries"] == str(clients)


async def test_tr098_gateway_has_wifi_clients_with_rssi(acs: ScriptedAcs) -> None:
    async with fleet_for(acs, 6, model="tr098") as fleet:
        cpe = next(c for c in fleet.cpes if c.identity.clients_per_band[0])
        wlan = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1."
        rssi = int(cpe.parameters[wlan + "AssociatedDevice.1.X_RJCHRONOS_SignalStrength"])
        assert -90 <= rssi <= -30
        assert cpe.parameters[wlan + "TotalAssociations"] == str(cpe.identity.clients_per_band[0])
        assert cpe.parameters[wlan + "KeyPassphrase"] == cpe.identity.wifi_key
        assert not fleet.ont and not cpe.serial[:4].isalpha()


def test_cli_refuses_an_unknown_quirk() -> None:
    result = CliRunner().invoke(main, ["cpe", "--acs", "http://127.0.0.1:9/", "--quirk", "bogus"])
    assert result.exit_code == 2
    assert "bogus" in result.output and "no-soapaction" in result.output


async def test_cli_runs_a_fleet_until_interrupted(acs: ScriptedAcs) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from rjchronos_sdk.sim.cli import main; main()",
        "cpe",
        "--acs",
        acs.url,
        "--count",
        "3",
        "--ramp",
        "0",
        "--connection-port",
        "0",
        "--stats-every",
        "0",
        "--quirk",
        "lowercase-events=1",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(30):
            while len(acs.informs) < 3:
                await asyncio.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = await process.communicate()
    assert process.returncode == 0
    assert b"3 tr181 CPEs informing" in output
    assert all(("0 bootstrap", "") in inform.events for inform in acs.informs)
