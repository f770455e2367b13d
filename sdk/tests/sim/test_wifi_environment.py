"""The radio environment: readings follow the channel the ACS sets, over CWMP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rjchronos_sdk.sim.cpe.fleet import Fleet
from rjchronos_sdk.sim.cpe.wifi import BUSY, HIDDEN_NOISE

from .conftest import ScriptedAcs, values_of
from .test_rpc import names, rpc, values
from .test_session import fleet_for

pytestmark = pytest.mark.anyio
RADIO = "Device.WiFi.Radio.1."
CLIENTS = "Device.WiFi.AccessPoint.1.AssociatedDevice."


@pytest.fixture
async def fleet(acs: ScriptedAcs) -> AsyncIterator[Fleet]:
    async with fleet_for(acs, 1, model="tr181") as running:
        await running.wait_until(lambda: running.counters["sessions_ok"] == 1)
        yield running


async def readings(acs: ScriptedAcs, fleet: Fleet) -> dict[str, str]:
    answer = await rpc(acs, fleet, "GetParameterValues", names(RADIO, CLIENTS))
    return {path: value for path, (value, _type) in values_of(answer).items()}


def retransmissions(read: dict[str, str]) -> list[int]:
    return [int(v) for p, v in read.items() if p.endswith(".Retransmissions")]


async def test_a_crowded_channel_reads_badly_until_the_acs_moves_the_radio(
    acs: ScriptedAcs, fleet: Fleet
) -> None:
    cpe = fleet.cpes[0]
    clean = await readings(acs, fleet)
    assert max(retransmissions(clean)) <= 10
    assert clean[RADIO + "Stats.Noise"] == "-92"

    own = cpe.channel(1)
    cpe.interfere(1, {own: BUSY})
    crowded = await readings(acs, fleet)
    assert min(retransmissions(crowded)) >= 40
    assert crowded[RADIO + "Stats.Noise"] == "-71"
    assert crowded[RADIO + "ChannelsInUse"] == str(own)
    assert crowded[RADIO + "PossibleChannels"] == "1,6,11"
    signal = [p for p in crowded if p.endswith(".SignalStrength")]
    assert all(int(crowded[p]) < int(clean[p]) - 5 for p in signal)

    other = next(c for c in (1, 6, 11) if c != own)
    answer = await rpc(
        acs, fleet, "SetParameterValues", values((RADIO + "Channel", str(other), "unsignedInt"))
    )
    assert answer.element.findtext("Status") == "0"
    moved = await readings(acs, fleet)
    assert max(retransmissions(moved)) <= 10
    assert moved[RADIO + "ChannelsInUse"] == ",".join(sorted({str(own), str(other)}, key=int))

    cpe.interfere(1, {own: BUSY}, HIDDEN_NOISE)  # every other channel is worse still
    assert min(retransmissions(await readings(acs, fleet))) >= 60
