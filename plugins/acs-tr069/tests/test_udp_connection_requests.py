"""UDP connection requests (TR-069 Annex G) to simulated CPEs that listen for them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from simkit import Sim, start_sim

from rjchronos_acs_tr069 import connreq
from rjchronos_sdk.sim.cpe import udp


@pytest.fixture(params=["tr098", "tr181"])
def sim(request: Any, rjc_kernel_factory: Any, rjc_client_factory: Any) -> Iterator[Sim]:
    sim, listener = start_sim(
        rjc_kernel_factory,
        rjc_client_factory,
        request.param,
        "1.4",
        fleet_options={"udp_connection_requests": True},
        connection_request_udp=True,
    )
    try:
        yield sim
    finally:
        sim.fleet.stop()
        listener.__exit__(None, None, None)


def _post(sim: Sim, cpe: Any, body: dict[str, Any], wait: int = 10) -> dict[str, Any]:
    url = f"/api/v1/devices/{sim.device_id(cpe)}/tasks?wait={wait}"
    response = sim.api.post(url, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_cpe_with_a_udp_address_is_reached_over_udp(sim: Sim) -> None:
    cpe = sim.fleet.fleet.cpes[0]
    counters = sim.fleet.fleet.counters
    # Until the ACS has read the CPE's UDP address, it uses HTTP.
    management = {"type": "refresh", "path": cpe.paths.management}
    assert _post(sim, cpe, management)["connection_request"] == "accepted"
    assert counters["udp_connection_requests"] == 0
    task = _post(sim, cpe, {"type": "get_parameter_values", "paths": [sim.paths["ssid"]]})
    assert task["connection_request"] == "sent_udp"
    assert task["status"] == "done", task
    # Three copies are sent; the CPE acts on the first and ignores the retransmissions.
    assert counters["udp_connection_requests"] == 1


def test_a_udp_request_with_the_wrong_password_is_ignored(sim: Sim) -> None:
    cpe = sim.fleet.fleet.cpes[0]
    management = {"type": "refresh", "path": cpe.paths.management}
    assert _post(sim, cpe, management)["status"] == "done"
    sim.fleet.call(cpe.set_value, cpe.paths.management + "ConnectionRequestPassword", "other")
    task = _post(sim, cpe, {"type": "reboot"}, wait=2)
    assert task["connection_request"] == "sent_udp"
    assert task["status"] == "pending"
    assert sim.fleet.fleet.counters["udp_connection_requests"] == 0


def test_the_message_is_signed_as_annex_g_says() -> None:
    message = connreq.udp_message("192.0.2.7:7547", "cr-user", "cr-pass")
    assert message.startswith(b"GET http://192.0.2.7:7547?ts=")
    assert message.endswith(b" HTTP/1.1\r\nHost: 192.0.2.7:7547\r\n\r\n")
    fields = udp.parse(message)
    assert fields is not None and fields["un"] == "cr-user"
    expected = udp.signature("cr-pass", fields["ts"], fields["id"], "cr-user", fields["cn"])
    assert fields["sig"] == expected
