"""The virtual OLTs over real SNMP: net-snmp's snmpbulkwalk and pysnmp against the agent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pyasn1.codec.ber import decoder
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    Integer32,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    bulk_walk_cmd,
    get_cmd,
    set_cmd,
)
from pysnmp.proto.api import v2c

from rjchronos_sdk.sim.olt import OltSimulator, mibs

from .conftest import snmpbulkwalk

pytestmark = pytest.mark.anyio

HW = "1.3.6.1.4.1.2011.6.128.1.1.2"
PORT_0_1_0 = 4194312192


def test_index_encodings_match_the_reference() -> None:
    assert mibs.huawei_if_index(0, 1, 0) == PORT_0_1_0
    assert mibs.zte_if_index(1, 1) == 268435456
    assert mibs.zte_1012_index(1, 1) == 268501248
    assert mibs.zte_500_index(1, 1) == 285278465


def test_value_conversions_round_trip() -> None:
    assert mibs.huawei_power(-21.37) == -2137
    assert (mibs.huawei_olt_rx(-23.5) - 10000) / 100 == -23.5
    assert mibs.huawei_power(None) == 2147483647
    assert mibs.zte_power(-20.0) * 0.002 - 30 == pytest.approx(-20.0)
    below = mibs.zte_power(-31.0)  # under -30 dBm the counter wraps
    assert below > 30000 and (below - 65536) * 0.002 - 30 == pytest.approx(-31.0)
    assert mibs.zte_power(None) == 65535
    assert mibs.serial_bytes("HWTC11E70E9A") == b"HWTC\x11\xe7\x0e\x9a"


async def test_huawei_columns_walk_with_snmpbulkwalk(huawei: OltSimulator) -> None:
    onu = huawei.state.onu(1, 0, 3)
    rx = await snmpbulkwalk(huawei, f"{HW}.51.1.4")
    assert len(rx) == 8
    assert rx[f"{HW}.51.1.4.{PORT_0_1_0}.3"] == f"INTEGER: {round(onu.rx_dbm * 100)}"
    olt_rx = await snmpbulkwalk(huawei, f"{HW}.51.1.6")
    value = int(olt_rx[f"{HW}.51.1.6.{PORT_0_1_0}.3"].split()[-1])
    assert (value - 10000) / 100 == onu.olt_rx_dbm
    serials = await snmpbulkwalk(huawei, f"{HW}.43.1.3", hex_strings=True)
    hex_serial = serials[f"{HW}.43.1.3.{PORT_0_1_0}.3"]
    assert (
        hex_serial.replace(" ", "") == "Hex-STRING:" + mibs.serial_bytes(onu.serial).hex().upper()
    )
    status = await snmpbulkwalk(huawei, f"{HW}.46.1.15")
    second_port = mibs.huawei_if_index(0, 1, 1)
    assert set(status) == {
        f"{HW}.46.1.15.{p}.{i}" for p in (PORT_0_1_0, second_port) for i in range(4)
    }
    system = await snmpbulkwalk(huawei, "1.3.6.1.2.1.1")
    assert system["1.3.6.1.2.1.1.2.0"] == "OID: .1.3.6.1.4.1.2011.2.248"
    assert "MA5800" in system["1.3.6.1.2.1.1.1.0"]
    names = await snmpbulkwalk(huawei, "1.3.6.1.2.1.31.1.1.1.1")
    assert names[f"1.3.6.1.2.1.31.1.1.1.1.{PORT_0_1_0}"] == 'STRING: "GPON 0/1/0"'


async def test_huawei_injections_show_over_snmp(huawei: OltSimulator) -> None:
    huawei.los(0, 1)
    huawei.dying_gasp(0, 2)
    found = huawei.new_unconfigured(1, "HWTC0A0B0C0D", "EG8145X6")
    status = await snmpbulkwalk(huawei, f"{HW}.46.1.15")
    cause = await snmpbulkwalk(huawei, f"{HW}.46.1.24")
    rx = await snmpbulkwalk(huawei, f"{HW}.51.1.4")
    row = f"{PORT_0_1_0}"
    assert [status[f"{HW}.46.1.15.{row}.{i}"] for i in range(3)] == [
        "INTEGER: 1",
        "INTEGER: 2",
        "INTEGER: 2",
    ]
    assert cause[f"{HW}.46.1.24.{row}.1"] == "INTEGER: 2"
    assert cause[f"{HW}.46.1.24.{row}.2"] == "INTEGER: 13"
    assert cause[f"{HW}.46.1.24.{row}.0"] == "INTEGER: -1"
    assert rx[f"{HW}.51.1.4.{row}.1"] == "INTEGER: 2147483647"
    autofind = await snmpbulkwalk(huawei, f"{HW}.48.1.2", hex_strings=True)
    port_0_1_1 = mibs.huawei_if_index(0, 1, 1)
    assert autofind[f"{HW}.48.1.2.{port_0_1_1}.1"] == "Hex-STRING: 48 57 54 43 0A 0B 0C 0D "
    assert found.serial == "HWTC0A0B0C0D"
    huawei.recover(0, 1)
    status = await snmpbulkwalk(huawei, f"{HW}.46.1.15")
    assert status[f"{HW}.46.1.15.{row}.1"] == "INTEGER: 1"


async def test_zte_trees_walk_with_snmpbulkwalk(zte: OltSimulator) -> None:
    zte.los(1, 2)
    onu = zte.state.onu(1, 1, 1)
    old, new = mibs.zte_1012_index(1, 1), mibs.zte_500_index(1, 1)
    phase = await snmpbulkwalk(zte, "1.3.6.1.4.1.3902.1012.3.28.2.1.4")
    assert phase[f"1.3.6.1.4.1.3902.1012.3.28.2.1.4.{old}.1"] == "INTEGER: 3"
    assert phase[f"1.3.6.1.4.1.3902.1012.3.28.2.1.4.{old}.2"] == "INTEGER: 1"
    rx = await snmpbulkwalk(zte, "1.3.6.1.4.1.3902.1012.3.50.12.1.1.10")
    value = int(rx[f"1.3.6.1.4.1.3902.1012.3.50.12.1.1.10.{old}.1.1"].split()[-1])
    assert value * 0.002 - 30 == pytest.approx(onu.rx_dbm, abs=0.002)
    assert rx[f"1.3.6.1.4.1.3902.1012.3.50.12.1.1.10.{old}.2.1"] == "INTEGER: 65535"
    status = await snmpbulkwalk(zte, "1.3.6.1.4.1.3902.1082.500.10.2.3.8.1.4")
    assert status[f"1.3.6.1.4.1.3902.1082.500.10.2.3.8.1.4.{new}.1"] == "INTEGER: 4"
    assert status[f"1.3.6.1.4.1.3902.1082.500.10.2.3.8.1.4.{new}.2"] == "INTEGER: 2"
    assert len(status) == 8
    rx500 = await snmpbulkwalk(zte, "1.3.6.1.4.1.3902.1082.500.20.2.2.2.1.10")
    assert rx500[f"1.3.6.1.4.1.3902.1082.500.20.2.2.2.1.10.{new}.1.1"] == f"INTEGER: {value}"
    zte.new_unconfigured(2, "ZTEGC0A1B2C3")
    uncfg = await snmpbulkwalk(zte, "1.3.6.1.4.1.3902.1012.3.13.3.1.2", hex_strings=True)
    key = f"1.3.6.1.4.1.3902.1012.3.13.3.1.2.{mibs.zte_1012_index(1, 2)}.1"
    assert uncfg[key].replace(" ", "") == "Hex-STRING:5A544547C0A1B2C3"


async def test_pysnmp_walks_gets_and_resets(huawei: OltSimulator) -> None:
    engine = SnmpEngine()
    target = await UdpTransportTarget.create(("127.0.0.1", huawei.snmp_port), timeout=2, retries=0)
    community = CommunityData("public")
    rows = []
    async for error, status, _, varbinds in bulk_walk_cmd(
        engine,
        community,
        target,
        ContextData(),
        0,
        3,
        ObjectType(ObjectIdentity(f"{HW}.51.1.3")),
        lexicographicMode=False,
        lookupMib=False,
    ):
        assert not error and not status
        rows += [(tuple(oid), int(value)) for oid, value in varbinds]
    onu = huawei.state.onu(1, 1, 2)
    assert len(rows) == 8
    assert (
        (*mibs.HW_TX, mibs.huawei_if_index(0, 1, 1), 2),
        round(onu.tx_dbm * 100),
    ) in rows

    reset = f"{HW}.46.1.2.{mibs.huawei_if_index(0, 1, 1)}.2"
    error, status, _, _ = await set_cmd(
        engine, community, target, ContextData(), ObjectType(ObjectIdentity(reset), Integer32(1))
    )
    assert not error and not status
    assert onu.last_down_cause == "reset"
    error, status, _, _ = await set_cmd(
        engine,
        community,
        target,
        ContextData(),
        ObjectType(ObjectIdentity(f"{HW}.43.1.9.{PORT_0_1_0}.0"), Integer32(1)),
    )
    assert int(status) == 17  # notWritable

    error, status, _, varbinds = await get_cmd(
        engine, community, target, ContextData(), ObjectType(ObjectIdentity("1.3.6.1.2.1.1.3.0"))
    )
    assert not error and int(varbinds[0][1]) >= 0
    engine.close_dispatcher()


async def test_a_wrong_community_gets_no_answer(huawei: OltSimulator) -> None:
    with pytest.raises(AssertionError, match="Timeout"):
        await snmpbulkwalk(huawei, "1.3.6.1.2.1.1", community="private")


async def test_optics_drift_and_snmp_follows(huawei: OltSimulator) -> None:
    onu = huawei.state.onu(1, 0, 0)
    before = (await snmpbulkwalk(huawei, f"{HW}.51.1.4"))[f"{HW}.51.1.4.{PORT_0_1_0}.0"]
    assert before == f"INTEGER: {round(onu.rx_dbm * 100)}"
    values = {onu.rx_dbm}
    for _ in range(5):
        huawei.state.tick()
        values.add(onu.rx_dbm)
    assert len(values) > 1 and all(-30 <= v <= -8 for v in values)
    after = (await snmpbulkwalk(huawei, f"{HW}.51.1.4"))[f"{HW}.51.1.4.{PORT_0_1_0}.0"]
    assert after == f"INTEGER: {round(onu.rx_dbm * 100)}"


def test_the_same_seed_builds_the_same_olt() -> None:
    first = OltSimulator("huawei", ports=1, onus_per_port=3, seed=42).state
    second = OltSimulator("huawei", ports=1, onus_per_port=3, seed=42).state
    other = OltSimulator("huawei", ports=1, onus_per_port=3, seed=43).state
    assert [o.serial for o in first.all_onus()] == [o.serial for o in second.all_onus()]
    assert [o.serial for o in first.all_onus()] != [o.serial for o in other.all_onus()]


class _TrapCatcher(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.put_nowait(data)


async def _next_trap(catcher: _TrapCatcher) -> tuple[str, dict[tuple[int, ...], Any]]:
    data = await asyncio.wait_for(catcher.received.get(), 5)
    message, _ = decoder.decode(data, asn1Spec=v2c.Message())
    pdu = v2c.apiMessage.get_pdu(message)
    assert pdu.isSameTypeWith(v2c.SNMPv2TrapPDU())
    varbinds = {tuple(oid): value for oid, value in v2c.apiPDU.get_varbinds(pdu)}
    return str(message["community"]), varbinds


async def test_events_are_sent_as_traps() -> None:
    loop = asyncio.get_running_loop()
    transport, catcher = await loop.create_datagram_endpoint(
        _TrapCatcher, local_addr=("127.0.0.1", 0)
    )
    target = transport.get_extra_info("sockname")
    try:
        async with OltSimulator(
            "huawei", ports=1, onus_per_port=2, drift_interval=0, trap_target=target
        ) as sim:
            onu = sim.state.onu(1, 0, 1)
            sim.los(0, 1)
            community, varbinds = await _next_trap(catcher)
            assert community == "public"
            assert tuple(varbinds[mibs.SNMP_TRAP_OID]) == mibs.trap_oid("huawei", "los")
            row = (PORT_0_1_0, 1)
            assert bytes(varbinds[(*mibs.HW_SN, *row)]) == mibs.serial_bytes(onu.serial)
            assert int(varbinds[(*mibs.HW_RUN_STATUS, *row)]) == 2
            assert int(varbinds[(*mibs.HW_DOWN_CAUSE, *row)]) == 2
            sim.recover(0, 1)
            _, varbinds = await _next_trap(catcher)
            assert tuple(varbinds[mibs.SNMP_TRAP_OID]) == mibs.trap_oid("huawei", "online")
            sim.new_unconfigured(0, "HWTC0A0B0C0D")
            _, varbinds = await _next_trap(catcher)
            assert tuple(varbinds[mibs.SNMP_TRAP_OID]) == mibs.trap_oid("huawei", "autofind")
            assert bytes(varbinds[(*mibs.HW_AUTOFIND_SN, PORT_0_1_0, 1)]) == b"HWTC\n\x0b\x0c\r"
    finally:
        transport.close()
