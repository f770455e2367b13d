"""PPPoE and DHCP error readings from WAN connection values; IPPing results as samples."""

from __future__ import annotations

import pytest

from rjchronos_acs_tr069 import latency_samples, telemetry, wan_errors

PPP = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1."
IP = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.2.WANIPConnection.1."


def _read(values: dict[str, str]) -> dict[str, tuple[float, dict[str, str]]]:
    return {r.metric: (r.value, r.labels) for r in wan_errors.readings(values)}


def test_tr098_pppoe_authentication_failure() -> None:
    found = _read(
        {
            PPP + "ConnectionStatus": "Disconnected",
            PPP + "LastConnectionError": "ERROR_AUTHENTICATION_FAILURE",
        }
    )
    assert found == {
        wan_errors.PPP_METRIC: (1.0, {"connection": PPP, "error": "ERROR_AUTHENTICATION_FAILURE"})
    }


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # Up, whatever error it last had.
        (
            {
                PPP + "ConnectionStatus": "Connected",
                PPP + "LastConnectionError": "ERROR_ISP_TIME_OUT",
            },
            0.0,
        ),
        # Not up, but no error: connecting, or never configured. Says nothing.
        ({PPP + "ConnectionStatus": "Connecting", PPP + "LastConnectionError": "ERROR_NONE"}, None),
        ({PPP + "ConnectionStatus": "Disconnected"}, None),
        ({PPP + "LastConnectionError": "ERROR_ISP_TIME_OUT"}, None),
        (
            {
                PPP + "Enable": "false",
                PPP + "ConnectionStatus": "Disconnected",
                PPP + "LastConnectionError": "ERROR_ISP_TIME_OUT",
            },
            None,
        ),
    ],
)
def test_tr098_ppp_states(values: dict[str, str], expected: float | None) -> None:
    found = _read(values)
    assert (found[wan_errors.PPP_METRIC][0] if found else None) == expected


def test_tr098_dhcp_connection_but_not_a_static_one() -> None:
    failing = {
        IP + "AddressingType": "DHCP",
        IP + "ConnectionStatus": "Disconnected",
        IP + "LastConnectionError": "ERROR_ISP_TIME_OUT",
    }
    assert _read(failing)[wan_errors.DHCP_METRIC][0] == 1.0
    assert _read({**failing, IP + "AddressingType": "Static"}) == {}


def test_tr181_ppp_and_dhcp() -> None:
    values = {
        "Device.PPP.Interface.1.Status": "Down",
        "Device.PPP.Interface.1.ConnectionStatus": "Disconnected",
        "Device.PPP.Interface.1.LastConnectionError": "ERROR_AUTHENTICATION_FAILURE",
        "Device.DHCPv4.Client.1.Status": "Error_Misconfigured",
        "Device.DHCPv4.Client.2.Status": "Enabled",
        "Device.DHCPv4.Client.2.DHCPStatus": "Bound",
    }
    found = _read(values)
    assert found[wan_errors.PPP_METRIC][1]["error"] == "ERROR_AUTHENTICATION_FAILURE"
    # One failing client among bound ones is an error of the CPE.
    assert found[wan_errors.DHCP_METRIC] == (
        1.0,
        {"connection": "Device.DHCPv4.Client.1.", "error": "Error_Misconfigured"},
    )
    up = _read(
        {"Device.DHCPv4.Client.2.Status": "Enabled", "Device.DHCPv4.Client.2.DHCPStatus": "Bound"}
    )
    assert up[wan_errors.DHCP_METRIC][0] == 0.0
    assert _read({"Device.PPP.Interface.1.Status": "Error"})[wan_errors.PPP_METRIC][0] == 1.0


def test_session_samples_carry_the_error_label() -> None:
    batch = telemetry.samples_of(
        "dev1",
        {PPP + "ConnectionStatus": "Disconnected", PPP + "LastConnectionError": "ERROR_NO_CARRIER"},
    )
    [sample] = [s for s in batch if s.metric == wan_errors.PPP_METRIC]
    assert (sample.entity, sample.value, sample.labels["error"]) == (
        "dev1",
        1.0,
        "ERROR_NO_CARRIER",
    )


SAMPLED = {"kind": "ping", "sample": {"neighbourhood": "Pina", "region": "", "host": "192.0.2.1"}}


def test_sampled_ping_results_become_samples() -> None:
    results = {
        "DiagnosticsState": "Complete",
        "SuccessCount": "3",
        "FailureCount": "1",
        "AverageResponseTime": "12",
        "AverageResponseTimeDetailed": "12345",
        "MinimumResponseTime": "10",
        "MaximumResponseTime": "15",
    }
    found = {s.metric: s for s in latency_samples.samples("dev1", SAMPLED, results)}
    assert found[latency_samples.LOSS].value == 25.0
    assert found[latency_samples.AVG].value == pytest.approx(12.345)  # the detailed field wins
    assert (found[latency_samples.MIN].value, found[latency_samples.MAX].value) == (10.0, 15.0)
    assert found[latency_samples.AVG].labels == {"neighbourhood": "Pina", "host": "192.0.2.1"}


def test_only_complete_sampled_pings_count() -> None:
    complete = {"DiagnosticsState": "Complete", "SuccessCount": "0", "FailureCount": "4"}
    lost = latency_samples.samples("dev1", SAMPLED, complete)
    assert [(s.metric, s.value) for s in lost] == [(latency_samples.LOSS, 100.0)]
    failed = {**complete, "DiagnosticsState": "Error_CannotResolveHostName"}
    assert latency_samples.samples("dev1", SAMPLED, failed) == []
    # An operator's ping from the API is not a latency sample.
    assert latency_samples.samples("dev1", {"kind": "ping"}, complete) == []
