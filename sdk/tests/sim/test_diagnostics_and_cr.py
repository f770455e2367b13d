"""Diagnostics results with 8 DIAGNOSTICS COMPLETE, and connection requests with Digest."""

from __future__ import annotations

import httpx
import pytest

from .conftest import ScriptedAcs, values_of
from .test_rpc import names, rpc, values
from .test_session import fleet_for

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("model", ["tr098", "tr181"])
async def test_ping_and_traceroute_complete_with_results(acs: ScriptedAcs, model: str) -> None:
    async with fleet_for(acs, 1, model=model) as fleet:
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 1)
        cpe = fleet.cpes[0]
        ping = cpe.paths.diagnostics["ping"]
        trace = cpe.paths.diagnostics["traceroute"]
        await rpc(
            acs,
            fleet,
            "SetParameterValues",
            values(
                (ping + "Host", "192.0.2.1", "string"),
                (ping + "NumberOfRepetitions", "5", "unsignedInt"),
                (ping + "DiagnosticsState", "Requested", "string"),
                (trace + "Host", "192.0.2.1", "string"),
                (trace + "DiagnosticsState", "Requested", "string"),
            ),
        )
        await fleet.wait_until(lambda: fleet.counters["diagnostics"] == 2)
        await fleet.wait_until(
            lambda: ("8 DIAGNOSTICS COMPLETE", "") in acs.informs_of(cpe.serial)[-1].events
        )
        result = values_of(await rpc(acs, fleet, "GetParameterValues", names(ping, trace)))
        assert result[ping + "DiagnosticsState"][0] == "Complete"
        success, failure = (
            int(result[ping + "SuccessCount"][0]),
            int(result[ping + "FailureCount"][0]),
        )
        assert success + failure == 5 and success >= 4
        assert (
            0
            < int(result[ping + "AverageResponseTime"][0])
            <= int(result[ping + "MaximumResponseTime"][0])
        )
        assert result[trace + "DiagnosticsState"][0] == "Complete"
        hops = [
            k for k in result if k.startswith(trace + "RouteHops.") and k.endswith("HostAddress")
        ]
        assert len(hops) >= 3
        count_name = trace + "RouteHopsNumberOfEntries"
        if count_name in result:
            assert int(result[count_name][0]) == len(hops)


async def test_download_diagnostics_and_a_missing_host(acs: ScriptedAcs) -> None:
    async with fleet_for(acs, 1, model="tr181") as fleet:
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 1)
        cpe = fleet.cpes[0]
        download = cpe.paths.diagnostics["download"]
        ping = cpe.paths.diagnostics["ping"]
        await rpc(
            acs,
            fleet,
            "SetParameterValues",
            values(
                (download + "DownloadURL", "http://192.0.2.10/10MB.bin", "string"),
                (download + "DiagnosticsState", "Requested", "string"),
                (ping + "DiagnosticsState", "Requested", "string"),
            ),
        )
        await fleet.wait_until(lambda: fleet.counters["diagnostics"] == 2)
        assert cpe.parameters[download + "DiagnosticsState"] == "Complete"
        assert int(cpe.parameters[download + "TestBytesReceived"]) > 0
        assert cpe.parameters[download + "EOMTime"] > cpe.parameters[download + "BOMTime"]
        assert cpe.parameters[ping + "DiagnosticsState"] == "Error_CannotResolveHostName"


async def test_connection_request_with_digest(acs: ScriptedAcs) -> None:
    async with fleet_for(acs, 3, connection_port=0) as fleet:
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 3)
        cpe = fleet.cpes[1]
        url = cpe.parameters["Device.ManagementServer.ConnectionRequestURL"]
        assert url == f"http://127.0.0.1:{fleet.connection_request_port}/cr/{cpe.serial}"
        user = cpe.parameters["Device.ManagementServer.ConnectionRequestUsername"]
        password = cpe.parameters["Device.ManagementServer.ConnectionRequestPassword"]
        async with httpx.AsyncClient() as client:
            anonymous = await client.get(url)
            assert anonymous.status_code == 401
            assert anonymous.headers["www-authenticate"].startswith("Digest ")
            wrong = await client.get(url, auth=httpx.DigestAuth(user, "wrong"))
            assert wrong.status_code == 401
            other = fleet.cpes[0].parameters["Device.ManagementServer.ConnectionRequestPassword"]
            assert (await client.get(url, auth=httpx.DigestAuth(user, other))).status_code == 401
            assert (
                await client.get(url + "X", auth=httpx.DigestAuth(user, password))
            ).status_code == 404
            assert fleet.counters["connection_requests"] == 0
            assert len(acs.informs_of(cpe.serial)) == 1
            right = await client.get(url, auth=httpx.DigestAuth(user, password))
            assert right.status_code == 200
        await fleet.wait_until(lambda: len(acs.informs_of(cpe.serial)) == 2)
        assert acs.informs_of(cpe.serial)[-1].events == [("6 CONNECTION REQUEST", "")]
        assert fleet.counters["connection_requests"] == 1
        assert fleet.counters["connection_requests_refused"] == 2
        assert all(len(acs.informs_of(c.serial)) == 1 for c in (fleet.cpes[0], fleet.cpes[2]))


@pytest.mark.parametrize("model", ["tr098", "tr181"])
async def test_ping_answers_with_the_configured_latency_and_loss(
    acs: ScriptedAcs, model: str
) -> None:
    async with fleet_for(acs, 1, model=model) as fleet:
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 1)
        cpe = fleet.cpes[0]
        cpe.ping_latency_ms, cpe.ping_jitter_ms, cpe.ping_loss_pct = 23.0, 2.0, 25.0
        ping = cpe.paths.diagnostics["ping"]
        await rpc(
            acs,
            fleet,
            "SetParameterValues",
            values(
                (ping + "Host", "192.0.2.1", "string"),
                (ping + "NumberOfRepetitions", "8", "unsignedInt"),
                (ping + "DiagnosticsState", "Requested", "string"),
            ),
        )
        await fleet.wait_until(lambda: fleet.counters["diagnostics"] == 1)
        read = cpe.parameters
        assert (read[ping + "SuccessCount"], read[ping + "FailureCount"]) == ("6", "2")
        assert 21 <= int(read[ping + "MinimumResponseTime"]) <= 25
        assert 21 <= int(read[ping + "MaximumResponseTime"]) <= 25
        assert 21 <= int(read[ping + "AverageResponseTime"]) <= 25


@pytest.mark.parametrize("model", ["tr098", "tr181"])
async def test_ppp_failure_shows_in_the_connection_status(acs: ScriptedAcs, model: str) -> None:
    async with fleet_for(acs, 1, model=model) as fleet:
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 1)
        cpe = fleet.cpes[0]
        ppp = cpe.paths.ppp_username.rpartition(".")[0] + "."
        assert cpe.parameters[ppp + "LastConnectionError"] == "ERROR_NONE"
        cpe.ppp_failure("ERROR_AUTHENTICATION_FAILURE")
        assert cpe.parameters[ppp + "ConnectionStatus"] == "Disconnected"
        assert cpe.parameters[ppp + "LastConnectionError"] == "ERROR_AUTHENTICATION_FAILURE"
        cpe.ppp_failure("ERROR_NONE")
        assert cpe.parameters[ppp + "ConnectionStatus"] == "Connected"
