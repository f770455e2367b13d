"""TR-143 style diagnostics: plausible results a moment after the ACS requests them."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rjchronos_sdk.sim.cpe.cpe import SimulatedCpe


def _iso(moment: float) -> str:
    fraction = f"{moment % 1:.6f}"[1:]
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + fraction + "Z"


def touched_diagnostics(cpe: SimulatedCpe, updates: Mapping[str, str]) -> None:
    """Writing a test's settings without requesting it resets its state to None."""
    for obj in cpe.paths.diagnostics.values():
        state = obj + "DiagnosticsState"
        if any(name.startswith(obj) for name in updates) and state not in updates:
            cpe.tree.values[state] = "None"


def request_diagnostics(cpe: SimulatedCpe, kind: str) -> None:
    """Run the test ``kind`` once the session is over, then inform 8 DIAGNOSTICS COMPLETE."""

    async def run() -> None:
        await asyncio.sleep(cpe.fleet.diagnostics_delay)
        _complete(cpe, kind)
        cpe.fleet.counters["diagnostics"] += 1
        cpe.add_event("8 DIAGNOSTICS COMPLETE")
        cpe.fleet.wake(cpe)

    def start() -> None:
        cpe.fleet.spawn(run())

    cpe.after_session.append(start)


def _put(cpe: SimulatedCpe, obj: str, values: Mapping[str, object]) -> None:
    for name, value in values.items():
        if obj + name in cpe.tree.params:
            cpe.tree.values[obj + name] = str(value)


def _round_trips(cpe: SimulatedCpe, rng: random.Random, count: int) -> tuple[int, list[float]]:
    """How many of ``count`` pings are lost, and the sorted round trips (ms) of the others:
    around the CPE's configured latency, else 2 to 40 ms with one lost now and then."""
    if cpe.ping_latency_ms is None:
        lost = 1 if rng.random() < 0.1 else 0
        return lost, sorted(rng.uniform(2.0, 40.0) for _ in range(count - lost)) or [0.0]
    lost = min(count, round(count * cpe.ping_loss_pct / 100))
    mean, jitter = cpe.ping_latency_ms, cpe.ping_jitter_ms
    times = sorted(max(0.1, rng.uniform(mean - jitter, mean + jitter)) for _ in range(count - lost))
    return lost, times or [0.0]


def _complete(cpe: SimulatedCpe, kind: str) -> None:
    obj = cpe.paths.diagnostics[kind]
    rng = random.Random(f"{cpe.serial}:{kind}:{time.time()}")  # noqa: S311 - simulated results
    host_key = "Host" if kind in ("ping", "traceroute") else "DownloadURL"
    if kind == "upload":
        host_key = "UploadURL"
    if not cpe.value(obj + host_key).strip():
        state = obj + "DiagnosticsState"
        error = "Error_InitConnectionFailed"
        if host_key == "Host":
            error = "Error_CannotResolveHostName"
        known = cpe.tree.params[state].enumeration
        cpe.tree.values[state] = error if error in known else "Error_Other"
        return
    now = time.time()
    if kind == "ping":
        count = int(cpe.value(obj + "NumberOfRepetitions")) or 4
        lost, times = _round_trips(cpe, rng, count)
        _put(
            cpe,
            obj,
            {
                "SuccessCount": count - lost,
                "FailureCount": lost,
                "AverageResponseTime": round(sum(times) / len(times)),
                "MinimumResponseTime": round(times[0]),
                "MaximumResponseTime": round(times[-1]),
                "AverageResponseTimeDetailed": round(1000 * sum(times) / len(times)),
                "MinimumResponseTimeDetailed": round(1000 * times[0]),
                "MaximumResponseTimeDetailed": round(1000 * times[-1]),
                "IPAddressUsed": cpe.identity.wan_ip,
            },
        )
    elif kind == "traceroute":
        table = obj + "RouteHops."
        for path in [p for p in cpe.tree.objects if p.startswith(table) and p != table]:
            if path.count(".") == table.count(".") + 1:
                cpe.tree.delete_instance(path)
        hops = rng.randint(3, 8)
        total = 0.0
        for hop in range(1, hops + 1):
            number = cpe.tree.add_instance(table)
            total += rng.uniform(1.0, 8.0)
            address = f"10.{hop}.{rng.randint(0, 255)}.1" if hop < hops else "192.0.2.1"
            hop_values = {
                "Host": address,
                "HostAddress": address,
                "ErrorCode": 0,
                "RTTimes": ",".join(str(round(total + rng.uniform(0, 2))) for _ in range(3)),
            }
            # TR-098 names the same fields HopHost, HopHostAddress...
            hop_values |= {f"Hop{name}": value for name, value in hop_values.items()}
            _put(cpe, f"{table}{number}.", hop_values)
        _put(cpe, obj, {"ResponseTime": round(total), "IPAddressUsed": cpe.identity.wan_ip})
    else:
        size = rng.randint(5, 50) * 1_000_000
        duration = size / rng.uniform(5e6, 60e6)
        start = now - duration - 0.05
        received = kind == "download"
        _put(
            cpe,
            obj,
            {
                "ROMTime": _iso(start),
                "BOMTime": _iso(start + 0.05),
                "EOMTime": _iso(now),
                "TCPOpenRequestTime": _iso(start + 0.01),
                "TCPOpenResponseTime": _iso(start + 0.03),
                "IPAddressUsed": cpe.identity.wan_ip,
                ("TestBytesReceived" if received else "TestFileLength"): size,
                ("TotalBytesReceived" if received else "TotalBytesSent"): size + size // 50,
                f"TestBytes{'Received' if received else 'Sent'}UnderFullLoading": size,
            },
        )
    cpe.tree.values[obj + "DiagnosticsState"] = "Complete"
