"""The built-in diagnosis rules: optics, fiber cuts, power, Wi-Fi, reboots, analyzers' scores.

Each rule reads telemetry, events and topology through the
:class:`~rjchronos.ai.context.DiagnosisContext` and says what it saw, with the
figures, in English and Brazilian Portuguese.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median
from typing import Any

from rjchronos.ai.context import DiagnosisContext
from rjchronos.ai.contracts import Cause, DiagnosisRule, SuggestedAction, Verification, texts
from rjchronos.ai.scoring import timed

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
#: Below this an ONU's received power is out of the GPON class B+ budget.
LOW_RX_DBM = -27.0
#: A fall of the received power, over a week, that is worth a look.
RX_DROP_DB = 2.0
#: A PON neighbour whose level moved less than this over the week counts as stable.
STABLE_DB = 1.0
WIFI_RETRANS_PCT = 20.0
WIFI_WEAK_RSSI_DBM = -70.0
WIFI_NOISY_DBM = -80.0
REBOOTS_IN_6H = 3
LOW_MEMORY_SHARE = 0.05


def _ticket(title: str, description: str) -> SuggestedAction:
    return SuggestedAction("ticket.open", {"title": title[:255], "description": description})


def _rx_entity(ctx: DiagnosisContext) -> tuple[str, str] | None:
    """The entity and metric of this device's optical level: its ONU's, else its own."""
    if ctx.onu is not None:
        return ctx.onu.id, "onu.rx_dbm"
    if ctx.device.kind == "cpe":
        return ctx.device.id, "cpe.optical_rx_dbm"
    return None


def optical_degradation(ctx: DiagnosisContext) -> list[Cause]:
    """The ONU's Rx fell (or is out of budget) while its PON neighbours held steady, or all fell."""
    where = _rx_entity(ctx)
    if where is None:
        return []
    entity, metric = where
    now_rx = ctx.mean(metric, HOUR, entity=entity)
    if now_rx is None:
        return []
    week_ago = ctx.mean(metric, 7 * DAY, entity=entity, until=6 * DAY)
    drop = week_ago - now_rx if week_ago is not None else 0.0
    if drop < RX_DROP_DB and now_rx > LOW_RX_DBM:
        return []
    ids = [d.id for d in ctx.neighbours]
    then, now = (
        ctx.averages(ids, metric, 7 * DAY, 6 * DAY),
        ctx.averages(ids, metric, HOUR, timedelta()),
    )
    changes = [then[i] - now[i] for i in ids if i in then and i in now]
    shared = median(changes) if changes else None
    level = f"ONU Rx {now_rx:.1f} dBm"
    nivel = f"Rx da ONU {now_rx:.1f} dBm"
    fell = f", down {drop:.1f} dB in 7 days" if drop >= RX_DROP_DB else ""
    caiu = f", caiu {drop:.1f} dB em 7 dias" if drop >= RX_DROP_DB else ""
    score = min(0.95, 0.45 + max(drop, 0.0) / 8 + (0.15 if now_rx <= LOW_RX_DBM else 0.0))
    facts = {"rx_dbm": round(now_rx, 2), "drop_db": round(drop, 2), "neighbours": len(changes)}
    if shared is not None and shared >= RX_DROP_DB - STABLE_DB and drop >= RX_DROP_DB:
        evidence = texts(
            f"{level}{fell}, and its {len(changes)} PON neighbours fell too (median "
            f"{shared:.1f} dB): shared fiber or splitter degrading upstream",
            f"{nivel}{caiu}, e as {len(changes)} vizinhas da PON também caíram (mediana "
            f"{shared:.1f} dB): fibra compartilhada ou splitter degradando antes do splitter",
        )
        title = texts(
            "Feeder fiber or splitter degradation", "Degradação na fibra de alimentação ou splitter"
        )
        return [
            Cause(
                "feeder_degradation",
                score,
                title,
                evidence,
                (_ticket("Feeder fiber degradation", evidence["en"]),),
                {**facts, "neighbours_drop_db": round(shared, 2)},
            )
        ]
    steady = (
        f" while its {len(changes)} PON neighbours are stable"
        if changes
        else " (no PON neighbour to compare with)"
    )
    estaveis = (
        f" enquanto as {len(changes)} vizinhas da PON estão estáveis"
        if changes
        else " (sem vizinhas na PON para comparar)"
    )
    evidence = texts(
        f"{level}{fell}{steady}: drop cable or connector at the customer",
        f"{nivel}{caiu}{estaveis}: cabo drop ou conector no cliente",
    )
    title = texts("Drop cable or connector at the customer", "Cabo drop ou conector no cliente")
    if not changes:
        score *= 0.8
    return [
        Cause(
            "drop_degradation",
            score,
            title,
            evidence,
            (_ticket("Optical degradation at the customer", evidence["en"]),),
            facts,
        )
    ]


def _latest(events: list[tuple[str, str, datetime]], device_id: str, kind: str) -> datetime | None:
    times = [t for d, k, t in events if d == device_id and k == kind]
    return max(times) if times else None


def link_loss(ctx: DiagnosisContext) -> list[Cause]:
    """LOS or dying gasp on this device's ONU: alone (the customer's side) or with its PON."""
    onu = ctx.onu
    if onu is None:
        return []
    kinds = ("onu.los", "onu.dying_gasp", "onu.online")
    own = ctx.events(kinds, DAY, device_ids=[onu.id])
    last_online = _latest(own, onu.id, "onu.online")
    causes: list[Cause] = []
    for kind in ("onu.los", "onu.dying_gasp"):
        at = _latest(own, onu.id, kind)
        if at is None or (last_online is not None and last_online > at):
            continue
        window = timedelta(minutes=5)
        neighbours = [d.id for d in ctx.neighbours]
        theirs = ctx.events([kind], DAY, device_ids=neighbours)
        together = {d for d, _, t in theirs if abs(t - at) <= window}
        total = len(neighbours) + 1
        share = (len(together) + 1) / total
        counts = f"{len(together) + 1} of {total} ONUs of the PON"
        contas = f"{len(together) + 1} de {total} ONUs da PON"
        when = at.strftime("%Y-%m-%d %H:%M UTC")
        if kind == "onu.los" and total > 1 and share >= 0.8:
            causes.append(
                Cause(
                    "fiber_cut",
                    min(0.95, 0.6 + 0.35 * share),
                    texts(
                        "Fiber cut upstream of the splitter",
                        "Rompimento de fibra antes do splitter",
                    ),
                    texts(
                        f"{counts} lost signal at once ({when}): fiber cut upstream of the "
                        "splitter",
                        f"{contas} perderam sinal ao mesmo tempo ({when}): rompimento de fibra "
                        "antes do splitter",
                    ),
                    (_ticket("Fiber cut on PON", f"{counts} lost signal at once"),),
                    {"share": round(share, 2), "onus": total},
                )
            )
        elif kind == "onu.los":
            causes.append(
                Cause(
                    "drop_cut",
                    0.7,
                    texts(
                        "Drop fiber cut or disconnected at the customer",
                        "Drop rompido ou desconectado no cliente",
                    ),
                    texts(
                        f"the ONU lost signal ({when}) while its PON neighbours stayed up: drop "
                        "fiber or connector at the customer",
                        f"a ONU perdeu sinal ({when}) enquanto as vizinhas da PON seguiram no ar: "
                        "drop ou conector no cliente",
                    ),
                    (_ticket("ONU LOS at the customer", "LOS on one ONU only"),),
                )
            )
        elif total > 1 and share >= 0.5:
            causes.append(
                Cause(
                    "area_power_outage",
                    min(0.95, 0.55 + 0.4 * share),
                    texts("Power outage in the area", "Queda de energia na região"),
                    texts(
                        f"dying gasp from {counts} within minutes ({when}): power outage in the "
                        "area",
                        f"dying gasp de {contas} em poucos minutos ({when}): queda de energia na "
                        "região",
                    ),
                    (),
                    {"share": round(share, 2), "onus": total},
                )
            )
        else:
            causes.append(
                Cause(
                    "power_outage",
                    0.85,
                    texts("Power outage at the customer", "Falta de energia no cliente"),
                    texts(
                        f"the ONU sent a dying gasp ({when}): power outage at the customer",
                        f"a ONU enviou dying gasp ({when}): falta de energia no cliente",
                    ),
                )
            )
    return causes


def _on_current_channel(ctx: DiagnosisContext, channel: list[tuple[datetime, float]]) -> datetime:
    """When the radio moved to the channel it is on now (an hour ago at most)."""
    since = ctx.now - HOUR
    for moment, value in reversed(channel):
        if value != channel[-1][1]:
            break
        since = moment
    return since if channel else ctx.now - HOUR


def _mean_since(points: list[tuple[datetime, float]], since: datetime) -> float | None:
    kept = [v for t, v in points if t >= since]
    return sum(kept) / len(kept) if kept else None


def wifi_interference(ctx: DiagnosisContext) -> list[Cause]:
    """High retransmissions with weak clients or a noisy channel, per radio."""
    causes: list[Cause] = []
    for radio in (1, 2):
        entity = f"{ctx.device.id}/radio/{radio}"
        channel = ctx.series("cpe.wifi_channel", HOUR, entity=entity)
        # Only readings on the current channel: an older channel's trouble is history.
        since = _on_current_channel(ctx, channel)
        retrans = _mean_since(ctx.series("cpe.wifi_retrans_pct", HOUR, entity=entity), since)
        if retrans is None or retrans < WIFI_RETRANS_PCT:
            continue
        rssi = _mean_since(ctx.series("cpe.wifi_rssi_dbm", HOUR, entity=entity), since)
        noise = _mean_since(ctx.series("cpe.wifi_noise_dbm", HOUR, entity=entity), since)
        weak = rssi is not None and rssi <= WIFI_WEAK_RSSI_DBM
        noisy = noise is not None and noise >= WIFI_NOISY_DBM
        if not (weak or noisy):
            continue
        on = f" (channel {int(channel[-1][1])})" if channel else ""
        no = f" (canal {int(channel[-1][1])})" if channel else ""
        figures = [f"{retrans:.0f}% retransmissions"]
        figuras = [f"{retrans:.0f}% de retransmissões"]
        if rssi is not None:
            figures.insert(0, f"clients' RSSI {rssi:.0f} dBm")
            figuras.insert(0, f"RSSI dos clientes {rssi:.0f} dBm")
        if noise is not None:
            figures.append(f"noise {noise:.0f} dBm")
            figuras.append(f"ruído {noise:.0f} dBm")
        score = min(0.95, 0.35 + retrans / 100 + (0.15 if weak else 0) + (0.1 if noisy else 0))
        verify = Verification(entity, "cpe.wifi_retrans_pct", "lower", 5.0)
        causes.append(
            Cause(
                "wifi_interference",
                score,
                texts("Wi-Fi interference", "Interferência no Wi-Fi"),
                texts(
                    f"Wi-Fi radio {radio}{on}: {', '.join(figures)} over the last hour: "
                    "interference or a crowded channel",
                    f"Wi-Fi rádio {radio}{no}: {', '.join(figuras)} na última hora: "
                    "interferência ou canal congestionado",
                ),
                (SuggestedAction("wifi.change_channel", {"radio": radio}, verify),),
                {
                    "radio": radio,
                    "retrans_pct": round(retrans, 1),
                    "rssi_dbm": None if rssi is None else round(rssi, 1),
                    "noise_dbm": None if noise is None else round(noise, 1),
                },
            )
        )
    return causes


def reboot_loop(ctx: DiagnosisContext) -> list[Cause]:
    """Repeated boots in a few hours: a reboot loop (firmware, configuration, power supply)."""
    boots = ctx.events(("cpe.boot",), 6 * HOUR)
    if len(boots) < REBOOTS_IN_6H:
        return []
    n = len(boots)
    return [
        Cause(
            "reboot_loop",
            min(0.95, 0.5 + 0.08 * n),
            texts(
                "Reboot loop (firmware or configuration)",
                "Reinicialização em loop (firmware ou configuração)",
            ),
            texts(
                f"{n} boots in the last 6 hours: reboot loop, firmware or configuration",
                f"{n} reinicializações nas últimas 6 horas: loop de reboot, firmware ou "
                "configuração",
            ),
            (
                SuggestedAction("cpe.reprovision"),
                _ticket("CPE reboot loop", f"{n} boots in 6 hours"),
            ),
            {"boots": n},
        )
    ]


def memory_exhaustion(ctx: DiagnosisContext) -> list[Cause]:
    """Free memory nearly gone: a reboot clears it (and the firmware deserves a look)."""
    free = ctx.mean("cpe.memory_free_kib", HOUR)
    total = ctx.mean("cpe.memory_total_kib", DAY)
    if free is None or not total or free / total >= LOW_MEMORY_SHARE:
        return []
    share = 100 * free / total
    return [
        Cause(
            "memory_exhaustion",
            0.6,
            texts("CPE out of memory", "CPE sem memória"),
            texts(
                f"{share:.1f}% of the CPE's memory free over the last hour: a reboot frees it",
                f"{share:.1f}% da memória da CPE livre na última hora: um reboot a libera",
            ),
            (SuggestedAction("cpe.reboot"),),
            {"free_percent": round(share, 1)},
        )
    ]


#: Per device kind, the series the installed analyzers score during a diagnosis
#: (an entity suffix and a metric).
SCORED_SERIES: dict[str, tuple[tuple[str, str], ...]] = {
    "onu": (("", "onu.rx_dbm"), ("", "onu.olt_rx_dbm")),
    "cpe": (
        ("", "cpe.optical_rx_dbm"),
        ("", "cpe.cpu_percent"),
        ("/radio/1", "cpe.wifi_retrans_pct"),
        ("/radio/2", "cpe.wifi_retrans_pct"),
    ),
}
#: How much history an analyzer learns from before scoring the last hour, and at what step.
ANALYZER_HISTORY, ANALYZER_STEP = DAY, timedelta(minutes=5)


def _streaming_analyzers(ctx: DiagnosisContext) -> list[tuple[str, Any, Any]]:
    """Fresh instances of the installed streaming analyzers, with the metrics they accept."""
    found = []
    for name, spec in ctx.kernel.catalog.analyzers.items():
        if spec.mode != "streaming":
            continue
        try:
            found.append((name, spec, ctx.kernel.drivers.get("rjchronos.analyzers", name)))
        except LookupError:
            continue
    return found


def _complete(now: datetime) -> datetime:
    """The end of the last whole :data:`ANALYZER_STEP` before ``now`` (buckets are
    aligned to the epoch): a bucket is scored once, when its minutes are over."""
    step = ANALYZER_STEP.total_seconds()
    return datetime.fromtimestamp(now.timestamp() // step * step, tz=now.tzinfo)


def _runs(ctx: DiagnosisContext, spec: Any) -> bool:
    """Whether an analyzer runs on this device now (a scan's budget may leave it out)."""
    if ctx.scoring is None or not spec.expensive or ctx.scoring.expensive:
        return True
    ctx.scoring.counts["skipped"] += 1
    return False


def _scores(
    ctx: DiagnosisContext,
    name: str,
    spec: Any,
    driver: Any,
    entity: str,
    metric: str,
    points: list[tuple[datetime, float]],
    start: datetime,
) -> dict[float, float | None]:
    """One analyzer's scores of a series' last hour, by time: from scratch on demand, from
    the kept model in a scan."""
    times = [t.timestamp() for t, _ in points]
    values = [v for _, v in points]
    since = (ctx.now - HOUR).timestamp()
    scoring = ctx.scoring
    if scoring is None:
        scores = driver().score_series(entity, metric, times, values)
        return {t: s for t, s in zip(times, scores, strict=True) if t >= since}
    kept, hit = timed(
        scoring,
        spec.expensive,
        lambda: scoring.cache.scores(
            name, driver, entity, metric, times, values, since, start.timestamp()
        ),
    )
    scoring.counts["cached" if hit else "scored"] += 1
    return kept


def _read_from(
    ctx: DiagnosisContext, run: list[tuple[str, Any, Any]], entity: str, metric: str, day: datetime
) -> datetime:
    """Where to read a series from: the last mean its kept models saw, when each has one
    within the day (they need only the later means), else a day back."""
    if ctx.scoring is None:
        return day
    lasts = [ctx.scoring.cache.last(name, entity, metric) for name, _, _ in run]
    kept = [last for last in lasts if last is not None and last >= day.timestamp()]
    if len(kept) < len(lasts):
        return day
    return datetime.fromtimestamp(min(kept), tz=day.tzinfo)


def _analyzed(ctx: DiagnosisContext) -> list[Cause]:
    """Score the device's own series with every installed streaming analyzer, causally."""
    causes: list[Cause] = []
    analyzers = _streaming_analyzers(ctx)
    end = _complete(ctx.now)
    day = end - ANALYZER_HISTORY
    for suffix, metric in SCORED_SERIES.get(ctx.device.kind, ()) if analyzers else ():
        entity = ctx.device.id + suffix
        run = [
            (name, spec, driver)
            for name, spec, driver in analyzers
            if (not spec.metrics or metric in spec.metrics) and _runs(ctx, spec)
        ]
        if not run:
            continue
        start = _read_from(ctx, run, entity, metric, day)
        points = ctx.kernel.telemetry.series(entity, metric, start, end, resolution=ANALYZER_STEP)
        if len(points) < (2 if start == day else 1):
            continue
        for name, spec, driver in run:
            scores = _scores(ctx, name, spec, driver, entity, metric, points, start)
            score = max((s or 0.0 for s in scores.values()), default=0.0)
            if score < 0.5:
                continue
            if start != day:
                points = ctx.kernel.telemetry.series(
                    entity, metric, day, end, resolution=ANALYZER_STEP
                )
                start = day
            now, typical = points[-1][1], median(v for _, v in points)
            causes.append(
                Cause(
                    "telemetry_anomaly",
                    round(0.7 * score, 3),
                    texts("Unusual telemetry", "Telemetria fora do padrão"),
                    texts(
                        f"analyzer {name} scored {metric} {score:.2f} (of 1) in the last hour: "
                        f"now {now:.1f}, 24 h median {typical:.1f}",
                        f"o analisador {name} deu nota {score:.2f} (de 1) a {metric} na última "
                        f"hora: agora {now:.1f}, mediana de 24 h {typical:.1f}",
                    ),
                    facts={"analyzer": name, "metric": metric, "anomaly_score": round(score, 3)},
                )
            )
    return causes


def analyzer_scores(ctx: DiagnosisContext) -> list[Cause]:
    """The installed analyzers' view: their scores of the device's series now, and what
    they wrote to telemetry (``anomaly_score``, ``failure_probability``) at 0.5 or more."""
    causes = _analyzed(ctx)
    anomaly = ctx.analyzer_score("anomaly_score")
    if anomaly is not None and anomaly >= 0.5:
        causes.append(
            Cause(
                "telemetry_anomaly",
                round(0.7 * anomaly, 3),
                texts("Unusual telemetry", "Telemetria fora do padrão"),
                texts(
                    f"an analyzer scored this device's telemetry {anomaly:.2f} (of 1) "
                    "in the last hour",
                    f"um analisador deu nota {anomaly:.2f} (de 1) à telemetria deste "
                    "dispositivo na última hora",
                ),
                facts={"anomaly_score": round(anomaly, 3)},
            )
        )
    probability = ctx.analyzer_score("failure_probability", 6 * HOUR)
    if probability is not None and probability >= 0.5:
        causes.append(
            Cause(
                "predicted_failure",
                round(0.8 * probability, 3),
                texts("Failure predicted", "Falha prevista"),
                texts(
                    f"failure predicted with probability {probability:.0%} within 24 to 72 h",
                    f"falha prevista com probabilidade de {probability:.0%} em 24 a 72 h",
                ),
                (_ticket("Predicted failure", f"probability {probability:.0%}"),),
                {"failure_probability": round(probability, 3)},
            )
        )
    return causes


BUILTIN_RULES = (
    DiagnosisRule("optical_degradation", optical_degradation, ("onu", "cpe")),
    DiagnosisRule("link_loss", link_loss, ("onu", "cpe")),
    DiagnosisRule("wifi_interference", wifi_interference, ("cpe",)),
    DiagnosisRule("reboot_loop", reboot_loop, ("cpe",)),
    DiagnosisRule("memory_exhaustion", memory_exhaustion, ("cpe",)),
    DiagnosisRule("analyzer_scores", analyzer_scores),
)
