"""CPE quirks from rjc_cpe_quirks applied per device, against simulated CPEs that need them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from acs_testkit import ScriptedCpe
from simkit import start_sim

from rjchronos import hookimpl
from rjchronos.plugins.declarations import CpeQuirk
from rjchronos_sdk.sim.cpe.identity import ONT_VENDORS, ROUTER_VENDORS

VENDORS = ONT_VENDORS + ROUTER_VENDORS


class QuirkPlugin:
    """Declares one quirk per simulated vendor (and, with ``twice``, a second one for each)."""

    def __init__(self, behaviours: dict[str, Any], twice: bool = False) -> None:
        self.behaviours, self.twice = behaviours, twice

    @hookimpl
    def rjc_cpe_quirks(self) -> list[CpeQuirk]:
        quirks = [CpeQuirk(f"q-{v.oui}", oui=v.oui, behaviours=self.behaviours) for v in VENDORS]
        if self.twice:
            quirks += [
                CpeQuirk(f"q2-{v.oui}", oui=v.oui, software_prefix=v.software[:2]) for v in VENDORS
            ]
        return quirks


def _inform_responses(sim: Any) -> list[bytes]:
    return [m for m in sim.recorder.messages if b"InformResponse" in m]


@pytest.mark.parametrize("model", ["tr098", "tr181"])
def test_cpes_that_crash_on_a_401_are_served_without_a_challenge(
    rjc_kernel_factory: Any, rjc_client_factory: Any, model: str
) -> None:
    behaviours = {"no_401_challenge": True, "max_envelopes": 3, "no_gpn_next_level": True}
    sim, listener = start_sim(
        rjc_kernel_factory,
        rjc_client_factory,
        model,
        "1.4",
        plugins={"quirks": QuirkPlugin(behaviours)},
        fleet_options={"quirks": ["crash-on-401"]},
    )
    try:
        fleet = sim.fleet.fleet
        assert fleet.counters["crashes"] == 0
        assert fleet.counters["sessions_ok"] >= 2
        cpe = fleet.cpes[0]
        assert sim.task(cpe, {"type": "reboot"})["status"] == "done"
        assert fleet.counters["crashes"] == 0
        responses = _inform_responses(sim)
        assert responses and all(b"<MaxEnvelopes>3</MaxEnvelopes>" in m for m in responses)
        # Provisioning lists a keyed table with its whole subtree (NextLevel false).
        profile = {
            "name": "lan-host",
            "triggers": ["on_demand"],
            "desired": {
                "objects": [{"path": sim.paths["table"], "key": {"Enable": True}, "values": {}}]
            },
        }
        assert sim.api.post("/api/v1/profiles", json=profile).status_code == 201
        device_id = sim.device_id(cpe)
        assert sim.api.post(f"/api/v1/devices/{device_id}/provision").is_success

        def names_requests() -> list[bytes]:
            return [m for m in sim.recorder.messages if b"GetParameterNames>" in m]

        sim.fleet.wait_until(lambda: bool(names_requests()))
        assert all(b"<NextLevel>false</NextLevel>" in m for m in names_requests())
    finally:
        sim.fleet.stop()
        listener.__exit__(None, None, None)


def test_wrong_credentials_from_a_no_401_cpe_get_403(
    rjc_kernel_factory: Any, rjc_client_factory: Any
) -> None:
    sim, listener = start_sim(
        rjc_kernel_factory,
        rjc_client_factory,
        "tr181",
        "1.0",
        plugins={"quirks": QuirkPlugin({"no_401_challenge": True})},
        fleet_options={"quirks": ["crash-on-401", "preemptive-basic"]},
    )
    try:
        oui = sim.fleet.fleet.cpes[0].identity.vendor.oui
        with httpx.Client(base_url=sim.fleet.fleet.acs_url, timeout=5) as http:
            answer = ScriptedCpe(http, oui=oui, auth=("cpe", "wrong")).inform()
        assert answer.status_code == 403
        assert "www-authenticate" not in answer.headers
    finally:
        sim.fleet.stop()
        listener.__exit__(None, None, None)


def test_two_matching_quirks_are_an_error_on_the_device_timeline(
    rjc_kernel_factory: Any, rjc_client_factory: Any
) -> None:
    sim, listener = start_sim(
        rjc_kernel_factory,
        rjc_client_factory,
        "tr181",
        "1.4",
        plugins={"quirks": QuirkPlugin({"max_envelopes": 3}, twice=True)},
    )
    try:
        cpe = sim.fleet.fleet.cpes[0]
        device_id = sim.device_id(cpe)
        events = sim.api.get(f"/api/v1/devices/{device_id}/events").json()["items"]
        conflicts = [e for e in events if e["type"] == "cpe.quirk_conflict"]
        assert conflicts
        error = conflicts[0]["payload"]["error"]
        assert f"q-{cpe.identity.vendor.oui}" in error and f"q2-{cpe.identity.vendor.oui}" in error
        # Served without either quirk: the default MaxEnvelopes.
        assert all(b"<MaxEnvelopes>1</MaxEnvelopes>" in m for m in _inform_responses(sim))
    finally:
        sim.fleet.stop()
        listener.__exit__(None, None, None)
