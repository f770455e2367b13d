"""The OLT conformance suite itself: its checks fail a driver that reports the OLT wrongly."""

from __future__ import annotations

import dataclasses

import pytest

from rjchronos.drivers.olt_model import AuthorizeRequest, Onu, OnuStatus
from rjchronos_sdk.conformance_olt import OPTICS_TOLERANCE_DB, OltDriverConformance
from rjchronos_sdk.sim.olt import new_state


class _Suite(OltDriverConformance):
    vendor = "huawei"

    def port_name(self, slot: int, port: int) -> str:
        return f"0/{slot}/{port}"

    def authorize_request(
        self, port: str, serial: str, onu_id: int | None = None
    ) -> AuthorizeRequest:
        return AuthorizeRequest(port=port, serial=serial, line_profile="1", service_profile="1")


def _truth_and_report() -> tuple[object, Onu]:
    truth = next(new_state("huawei", ports=1, onus_per_port=1, seed=3).all_onus())
    assert truth.optics is not None
    rx, tx, _ = truth.optics
    report = Onu("0/1/0", truth.onu_id, truth.serial, OnuStatus.ONLINE, rx_dbm=rx, tx_dbm=tx)
    return truth, report


def test_a_faithful_report_passes() -> None:
    truth, report = _truth_and_report()
    _Suite().check_onu(report, truth)


@pytest.mark.parametrize(
    "change",
    [
        {"status": OnuStatus.LOS},
        {"rx_dbm": None},
        {"rx_dbm": "off"},
        {"tx_dbm": "off"},
    ],
)
def test_a_wrong_status_or_optics_fails(change: dict[str, object]) -> None:
    truth, report = _truth_and_report()
    wrong = {
        key: (getattr(report, key) + 2 * OPTICS_TOLERANCE_DB if value == "off" else value)
        for key, value in change.items()
    }
    with pytest.raises(AssertionError):
        _Suite().check_onu(dataclasses.replace(report, **wrong), truth)  # type: ignore[arg-type]
