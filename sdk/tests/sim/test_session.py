"""Inform sessions against the scripted ACS, in both CWMP namespaces, and their quirks."""

from __future__ import annotations

import asyncio

import pytest

from rjchronos_sdk.sim.cpe.fleet import Fleet

from .conftest import ScriptedAcs, running_acs

pytestmark = pytest.mark.anyio


def fleet_for(acs: ScriptedAcs, count: int = 1, **options: object) -> Fleet:
    defaults: dict[str, object] = {
        "interval": 3600,
        "reboot_delay": 0.05,
        "diagnostics_delay": 0.05,
        "retry_base": 0.1,
        "connection_port": None,
    }
    defaults.update(options)
    return Fleet(acs.url, count, **defaults)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("version", "namespace"),
    [("1.0", "urn:dslforum-org:cwmp-1-0"), ("1.4", "urn:dslforum-org:cwmp-1-2")],
)
@pytest.mark.parametrize("model", ["tr098", "tr181"])
async def test_first_inform_is_a_bootstrap_in_the_configured_namespace(
    acs: ScriptedAcs, version: str, namespace: str, model: str
) -> None:
    async with fleet_for(acs, 2, model=model, cwmp_version=version) as fleet:
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 2)
        cpe = fleet.cpes[0]
        [inform] = acs.informs_of(cpe.serial)
        assert inform.namespace == namespace
        assert [code for code, _ in inform.events] == ["0 BOOTSTRAP", "1 BOOT"]
        root = "Device." if model == "tr181" else "InternetGatewayDevice."
        assert (
            inform.parameters[root + "DeviceInfo.SoftwareVersion"] == cpe.identity.vendor.software
        )
        assert inform.parameters[root + "ManagementServer.ParameterKey"] == ""
        assert inform.headers["soapaction"] == ""
        advertised = b"SupportedCWMPVersions" in inform.body
        assert advertised == (version == "1.4")
        if version == "1.4":
            assert b">1.0,1.1,1.2,1.3,1.4<" in inform.body
        # The session ended with an empty POST the ACS answered with 204.
        assert any(r.serial == cpe.serial and r.body == b"" for r in acs.received)
        assert cpe.pending_events == {}


async def test_gpon_serials_and_identity_are_repeatable(acs: ScriptedAcs) -> None:
    one = fleet_for(acs, 5, seed=7)
    other = fleet_for(acs, 5, seed=7)
    await one.start()
    await other.start()
    try:
        assert one.ont
        assert [c.serial for c in one.cpes] == [c.serial for c in other.cpes]
        for cpe in one.cpes:
            assert cpe.serial[:4].isalpha() and cpe.serial[:4].isupper()
            int(cpe.serial[4:], 16)
            assert len(cpe.serial) == 12
    finally:
        await one.stop()
        await other.stop()


async def test_periodic_informs_come_back_with_2_periodic(acs: ScriptedAcs) -> None:
    async with fleet_for(acs, 3, interval=1, jitter=0.0) as fleet:
        await fleet.wait_until(
            lambda: all(
                any(("2 PERIODIC", "") in i.events for i in acs.informs_of(c.serial))
                for c in fleet.cpes
            )
        )
        for cpe in fleet.cpes:
            informs = acs.informs_of(cpe.serial)
            assert informs[0].events[0][0] == "0 BOOTSTRAP"
            assert [code for code, _ in informs[1].events] == ["2 PERIODIC"]


async def test_two_hundred_cpes_complete_a_periodic_round(acs: ScriptedAcs) -> None:
    async with fleet_for(acs, 200, interval=2, jitter=0.2, max_sessions=50) as fleet:
        await fleet.wait_until(
            lambda: (
                fleet.counters["sessions_ok"] >= 400
                and all(c.stats.events["2 PERIODIC"] >= 1 for c in fleet.cpes)
            ),
            timeout=60,
        )
        assert len({c.serial for c in fleet.cpes}) == 200
        assert {i.serial for i in acs.informs} == {c.serial for c in fleet.cpes}
        bootstraps = [i for i in acs.informs if ("0 BOOTSTRAP", "") in i.events]
        assert len(bootstraps) == 200
        assert fleet.counters["sessions_failed"] == 0
        assert fleet.counters["errors"] == 0
        assert fleet.counters["sessions_ok"] >= 400


async def test_quirks_show_on_the_wire(acs: ScriptedAcs) -> None:
    quirks = ["no-soapaction", "odd-prefixes", "wrong-arraytype", "lowercase-events"]
    async with fleet_for(acs, 1, quirks=quirks) as fleet:
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 1)
        [inform] = acs.informs
        assert "soapaction" not in inform.headers
        assert b"<SOAP-ENV:Envelope" in inform.body and b"<ns9:Inform>" in inform.body
        assert b'SOAP-ENC:arrayType="ns9:EventStruct[3]"' in inform.body  # two events sent
        assert [code for code, _ in inform.events] == ["0 bootstrap", "1 boot"]


async def test_quirks_by_share_pick_that_many_cpes(acs: ScriptedAcs) -> None:
    fleet = fleet_for(acs, 20, quirks={"lowercase-events": 0.25})
    await fleet.start()
    try:
        assert sum("lowercase-events" in c.quirks for c in fleet.cpes) == 5
    finally:
        await fleet.stop()


async def test_preemptive_basic_auth_is_on_the_first_request() -> None:
    async with (
        running_acs(ScriptedAcs(require_auth="basic")) as acs,
        fleet_for(acs, 1, quirks=["preemptive-basic"], acs_password="secret") as fleet,
    ):
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 1)
        assert acs.received[0].headers["authorization"].startswith("Basic ")
        assert len(acs.received) == len(acs.auth_headers)


async def test_digest_challenge_is_answered() -> None:
    async with (
        running_acs(ScriptedAcs(require_auth="digest")) as acs,
        fleet_for(acs, 1, acs_username="cpe", acs_password="secret") as fleet,
    ):
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 1)
        assert acs.auth_headers[0].startswith("Digest ")
        assert 'username="cpe"' in acs.auth_headers[0]
        # Later requests of the session answer the same challenge with a growing nonce count.
        assert all(h.startswith("Digest ") for h in acs.auth_headers)
        assert "nc=00000002" in acs.auth_headers[1]


async def test_wrong_acs_password_fails_the_session_and_retries() -> None:
    async with (
        running_acs(ScriptedAcs(require_auth="digest")) as acs,
        fleet_for(acs, 1, acs_username="cpe", acs_password="wrong") as fleet,
    ):
        await fleet.wait_until(lambda: fleet.counters["sessions_failed"] >= 2)
        assert fleet.counters["sessions_ok"] == 0
        assert acs.informs == []
        assert "0 BOOTSTRAP" in fleet.cpes[0].pending_events


async def test_crash_on_401_goes_silent_then_reboots() -> None:
    async with (
        running_acs(ScriptedAcs(require_auth="basic", refuse_auth=True)) as acs,
        fleet_for(acs, 1, quirks=["crash-on-401"], crash_pause=0.3) as fleet,
    ):
        cpe = fleet.cpes[0]
        await fleet.wait_until(lambda: fleet.counters["crashes"] >= 2)
        # No credentials were ever sent, and each crash reboots the CPE.
        assert acs.auth_headers == []
        assert fleet.counters["sessions_ok"] == 0
        assert "1 BOOT" in cpe.pending_events and "0 BOOTSTRAP" in cpe.pending_events


async def test_stop_right_after_a_wake_ends_the_fleet(acs: ScriptedAcs) -> None:
    fleet = fleet_for(acs, 1)
    await fleet.start()
    await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 1)
    # The wake and the stop's cancellation reach the scheduler in one turn of the loop.
    fleet.wake(fleet.cpes[0])
    stopping = asyncio.ensure_future(fleet.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)
    if not done:  # a scheduler that lost its cancellation: end it for the next tests
        stopping.cancel()
        await asyncio.gather(stopping, return_exceptions=True)
    assert done, "stop() is still waiting for the scheduler"
