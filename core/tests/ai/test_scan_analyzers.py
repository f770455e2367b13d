"""The scan's analyzers: models kept between scans, and expensive ones within a budget."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, ClassVar

from rjchronos import hookimpl
from rjchronos.ai import actions
from rjchronos.ai.scoring import SeriesCache
from rjchronos.db.types import utcnow
from rjchronos.drivers.contracts import Analyzer
from rjchronos.plugins.declarations import AnalyzerSpec
from rjchronos_sdk.testing import scrape_metrics

STEP = timedelta(minutes=5)


class Probe(Analyzer):
    """A streaming analyzer that writes down every sample it is given."""

    name = "probe"
    seen: ClassVar[list[tuple[str, float]]] = []

    def score(self, entity: str, metric: str, timestamp: float, value: float) -> float | None:
        self.seen.append((entity, timestamp))
        return 0.0


class ProbePlugin:
    """Declares :class:`Probe` as an expensive analyzer of ONU Rx."""

    @hookimpl
    def rjc_analyzers(self) -> list[AnalyzerSpec]:
        return [AnalyzerSpec("probe", metrics=("onu.rx_dbm",), expensive=True)]


def _kernel(rjc_kernel_factory: Callable[..., Any], **ai: Any) -> Any:
    Probe.seen.clear()
    kernel = rjc_kernel_factory(
        plugins={"probe": ProbePlugin()}, plugin_settings={"builtin.ai": ai}
    )
    kernel.drivers.add("rjchronos.analyzers", "probe", Probe)
    return kernel


def _rx_days(tools: SimpleNamespace, kernel: Any, onus: Sequence[str], days: float) -> None:
    for onu in onus:
        tools.write_series(
            kernel,
            onu,
            "onu.rx_dbm",
            -21.0,
            ago=days * timedelta(days=1),
            span=days * timedelta(days=1),
            step=STEP,
        )


def test_with_no_budget_each_scan_reaches_one_more_device_until_every_one_is_analyzed(
    rjc_kernel_factory: Callable[..., Any],
    rjc_client_factory: Callable[..., Any],
    tools: SimpleNamespace,
) -> None:
    # No model kept (a cache of 0 series): every series the probe is given shows in ``seen``.
    kernel = _kernel(rjc_kernel_factory, scan_expensive_seconds=0, analyzer_cache_series=0)
    site = tools.plant(kernel, onus=4)
    _rx_days(tools, kernel, site.onus, 1)
    reached: list[set[str]] = []
    for _ in range(4):
        Probe.seen.clear()
        result = actions.scan(kernel)
        reached.append({entity for entity, _ in Probe.seen})
        # The expensive analyzers run once a scan at least; the other ONUs wait.
        assert len(reached[-1]) == 1
        assert result["devices"] == 5
        assert result["analyzers"]["deferred_devices"] == 3
        assert result["analyzers"]["skipped"] == 3
    # Each scan took one that waited: four scans, four different ONUs.
    assert set().union(*reached) == set(site.onus)
    # The fifth goes back to the one analyzed longest ago.
    Probe.seen.clear()
    actions.scan(kernel)
    assert {entity for entity, _ in Probe.seen} == reached[0]
    metrics = scrape_metrics(rjc_client_factory("admin", kernel=kernel))
    assert metrics[("rjc_ai_scan_analyzer_series_total", (("outcome", "skipped"),))] == 15
    assert metrics[("rjc_ai_scan_deferred_devices_total", ())] == 15
    # On demand, every analyzer runs, whatever the scans' budget.
    Probe.seen.clear()
    api = rjc_client_factory("viewer", kernel=kernel)
    assert api.get(f"/api/v1/devices/{site.onus[3]}/diagnosis").status_code == 200
    assert {entity for entity, _ in Probe.seen} == {site.onus[3]}


def test_a_kept_model_is_given_only_the_samples_after_the_last_scan(
    rjc_kernel_factory: Callable[..., Any], tools: SimpleNamespace
) -> None:
    kernel = _kernel(rjc_kernel_factory)
    site = tools.plant(kernel, onus=2)
    _rx_days(tools, kernel, site.onus, 1.5)
    now = utcnow()
    first = actions.scan(kernel, now=now - timedelta(hours=2))
    assert first["analyzers"]["scored"] == 2 and first["analyzers"]["cached"] == 0
    assert first["analyzers"]["deferred_devices"] == 0
    before = {onu: [t for e, t in Probe.seen if e == onu] for onu in site.onus}
    Probe.seen.clear()
    second = actions.scan(kernel, now=now)
    assert second["analyzers"]["cached"] == 2 and second["analyzers"]["scored"] == 0
    for onu in site.onus:
        after = [t for e, t in Probe.seen if e == onu]
        # Two hours of 5-minute buckets, each after the last one scored, in time order.
        assert len(after) in (23, 24, 25)
        assert min(after) > max(before[onu]) and after == sorted(after)


def test_the_cache_keeps_at_most_its_size_least_recently_used_out() -> None:
    cache = SeriesCache(2)
    made: list[Probe] = []

    def make() -> Probe:
        made.append(Probe())
        return made[-1]

    times, values = [0.0, 300.0, 600.0], [1.0, 2.0, 3.0]
    for entity in ("a", "b", "a", "c", "a", "b"):
        cache.scores("probe", make, entity, "m", times, values, since=0.0)
    # a, b new; a kept; c new (b out); a kept; b new again (c out).
    assert len(made) == 4 and len(cache) == 2
    # A series asked about earlier than what its model saw is scored afresh.
    scores, hit = cache.scores("probe", make, "a", "m", [-600.0, -300.0], [1.0, 2.0], since=-600.0)
    assert not hit and scores == {-600.0: 0.0, -300.0: 0.0} and len(made) == 5
    # Read from where its model stopped, a series goes on with it (even were that sample gone).
    scores, hit = cache.scores("probe", make, "b", "m", [900.0], [4.0], since=300.0, start=600.0)
    assert hit and len(made) == 5
    assert scores == {300.0: 0.0, 600.0: 0.0, 900.0: 0.0}


def test_devices_beyond_scan_max_devices_take_their_turn(
    rjc_kernel_factory: Callable[..., Any], tools: SimpleNamespace
) -> None:
    kernel = _kernel(rjc_kernel_factory, scan_max_devices=2, analyzer_cache_series=0)
    site = tools.plant(kernel, onus=4)
    _rx_days(tools, kernel, site.onus, 1)
    turns: dict[str, int] = {}
    for _ in range(5):
        Probe.seen.clear()
        assert actions.scan(kernel)["devices"] == 2
        for entity in {entity for entity, _ in Probe.seen}:
            turns[entity] = turns.get(entity, 0) + 1
    # Five scans of two, over five devices (the CPE has no ONU Rx): every ONU twice.
    assert turns == dict.fromkeys(site.onus, 2)
