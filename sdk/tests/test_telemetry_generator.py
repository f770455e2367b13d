"""The synthetic ISP telemetry generator: reproducible, with the documented shapes and faults."""

from __future__ import annotations

import numpy as np
import pytest

from rjchronos_sdk.sim.telemetry import DAY, METRICS, ScenarioSpec, generate

SMALL = {
    "pons": 4,
    "onus_per_pon": 8,
    "days": 40.0,
    "degradations": 6,
    "laser_ageings": 2,
    "power_outages": 2,
    "reboot_loops": 2,
    "wifi_interferences": 2,
}
SPEC = ScenarioSpec(seed=11, **SMALL)


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return generate(SPEC)


def test_same_seed_same_telemetry(scenario) -> None:  # type: ignore[no-untyped-def]
    again = generate(SPEC)
    assert again.faults == scenario.faults
    for name in METRICS:
        np.testing.assert_array_equal(again.metrics[name], scenario.metrics[name])
    other = generate(ScenarioSpec(seed=12, **SMALL))
    assert other.faults != scenario.faults


def test_healthy_rx_level_cycle_and_noise(scenario) -> None:  # type: ignore[no-untyped-def]
    faulty = {onu for fault in scenario.faults for onu in fault.onus}
    healthy = [o for o in range(scenario.onu_count) if o not in faulty]
    assert healthy
    rx = scenario.metrics["onu_rx_dbm"][healthy]
    levels = rx.mean(axis=1)
    assert levels.min() >= -24.1 and levels.max() <= -17.9
    per_day = round(DAY / (SPEC.step_minutes * 60))
    daily_profile = rx[:, : per_day * 40].reshape(len(healthy), 40, per_day).mean(axis=1)
    swing = daily_profile.max(axis=1) - daily_profile.min(axis=1)
    assert np.all((swing > 0.8) & (swing < 1.3))  # +-0.5 dB plus what noise is left
    residual = rx[:, : per_day * 40].reshape(len(healthy), 40, per_day) - daily_profile[:, None]
    assert residual.std() == pytest.approx(0.3, abs=0.02)


def test_degradations_fall_2_to_6_db_over_3_to_14_days_then_los(scenario) -> None:  # type: ignore[no-untyped-def]
    degradations = [f for f in scenario.faults if f.kind == "degradation"]
    assert len(degradations) == 6
    rx = scenario.metrics["onu_rx_dbm"]
    online = scenario.metrics["online"]
    for fault in degradations:
        (onu,) = fault.onus
        assert fault.failure is not None
        assert 3 * DAY <= fault.failure - fault.start <= 14 * DAY
        before = rx[onu, (scenario.times >= fault.start - DAY) & (scenario.times < fault.start)]
        last_day = rx[
            onu, (scenario.times >= fault.failure - DAY) & (scenario.times < fault.failure)
        ]
        assert 1.0 < before.mean() - last_day.mean() < 6.5
        after = scenario.times >= fault.failure
        assert np.all(online[onu, after] == 0) and np.all(np.isnan(rx[onu, after]))


def test_fiber_cut_takes_a_whole_pon_down_at_once(scenario) -> None:  # type: ignore[no-untyped-def]
    (cut,) = [f for f in scenario.faults if f.kind == "fiber_cut"]
    pon = {int(scenario.pon_of[o]) for o in cut.onus}
    assert len(pon) == 1 and len(cut.onus) == SPEC.onus_per_pon
    step = int(np.searchsorted(scenario.times, cut.start))
    online = scenario.metrics["online"][list(cut.onus)]
    assert np.all(online[:, step - 1] == 1) and np.all(online[:, step] == 0)
    assert np.all(online[:, int(np.searchsorted(scenario.times, cut.end))] == 1)


def test_other_faults_leave_their_marks(scenario) -> None:  # type: ignore[no-untyped-def]
    by_kind = {f.kind: f for f in scenario.faults}
    ageing = by_kind["laser_ageing"]
    tx = scenario.metrics["onu_tx_dbm"][ageing.onus[0]]
    first, last = tx[:96].mean(), tx[-96:].mean()
    assert 0.9 < first - last < 2.1
    loop = by_kind["reboot_loop"]
    span = (scenario.times >= loop.start) & (scenario.times < loop.end)
    assert scenario.metrics["reboots"][loop.onus[0], span].sum() >= 2
    wifi = by_kind["wifi_interference"]
    span = (scenario.times >= wifi.start) & (scenario.times < wifi.end)
    retrans = scenario.metrics["wifi_retrans_pct"][wifi.onus[0]]
    assert np.nanmean(retrans[span]) > np.nanmean(retrans[~span]) + 10
    outage = by_kind["power_outage"]
    span = (scenario.times >= outage.start) & (scenario.times < outage.end)
    assert np.all(scenario.metrics["online"][outage.onus[0], span] == 0)


def test_impossible_specs_are_refused() -> None:
    with pytest.raises(ValueError, match="single-ONU faults need as many ONUs"):
        generate(ScenarioSpec(pons=2, onus_per_pon=4))
    with pytest.raises(ValueError, match="at least 20 days"):
        generate(ScenarioSpec(days=5))
