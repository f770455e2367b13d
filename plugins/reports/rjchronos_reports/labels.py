"""The words of a report, in pt-BR and English."""

from __future__ import annotations

LANGUAGES = ("pt-BR", "en")

LABELS: dict[str, dict[str, str]] = {
    "title": {"pt-BR": "Relatório de rede e SLA", "en": "Network and SLA report"},
    "period": {"pt-BR": "Período", "en": "Period"},
    "generated": {"pt-BR": "Gerado em", "en": "Generated at"},
    "summary": {"pt-BR": "Resumo", "en": "Summary"},
    "network_availability": {
        "pt-BR": "Disponibilidade da rede (ONUs)",
        "en": "Network availability (ONUs)",
    },
    "sla_breaches": {"pt-BR": "Violações de SLA", "en": "SLA breaches"},
    "customers_with_target": {"pt-BR": "Clientes com meta", "en": "Customers with a target"},
    "incidents": {"pt-BR": "Incidentes", "en": "Incidents"},
    "mttr": {"pt-BR": "MTTR (min)", "en": "MTTR (min)"},
    "reboots": {"pt-BR": "Reinicializações", "en": "Reboots"},
    "availability": {"pt-BR": "Disponibilidade", "en": "Availability"},
    "availability_customers": {
        "pt-BR": "Disponibilidade por cliente",
        "en": "Availability per customer",
    },
    "availability_pons": {"pt-BR": "Disponibilidade por PON", "en": "Availability per PON"},
    "availability_olts": {"pt-BR": "Disponibilidade por OLT", "en": "Availability per OLT"},
    "availability_regions": {
        "pt-BR": "Disponibilidade por região",
        "en": "Availability per region",
    },
    "incidents_regions": {
        "pt-BR": "Incidentes e MTTR por região",
        "en": "Incidents and MTTR per region",
    },
    "devices_over_time": {
        "pt-BR": "Dispositivos online/offline ao longo do tempo",
        "en": "Devices online/offline over time",
    },
    "signal": {"pt-BR": "Distribuição do sinal (Rx das ONUs)", "en": "Signal quality (ONU Rx)"},
    "firmware": {"pt-BR": "Distribuição de firmware", "en": "Firmware distribution"},
    "errors": {"pt-BR": "Reinicializações e erros", "en": "Reboots and errors"},
    "ai": {"pt-BR": "Sugestões de IA aplicadas", "en": "AI suggestions applied"},
    "ai_suggested": {"pt-BR": "Sugestões", "en": "Suggested"},
    "ai_applied": {"pt-BR": "Aplicadas", "en": "Applied"},
    "ai_succeeded": {"pt-BR": "Com sucesso", "en": "Succeeded"},
    "ai_failed": {"pt-BR": "Sem efeito ou piores", "en": "Failed"},
    "ai_rolled_back": {"pt-BR": "Revertidas", "en": "Rolled back"},
    "ai_success_rate_percent": {"pt-BR": "Taxa de sucesso (%)", "en": "Success rate (%)"},
    "ai_none": {
        "pt-BR": "Sem registro de sugestões de IA no período.",
        "en": "No AI suggestions are recorded.",
    },
    "name": {"pt-BR": "Nome", "en": "Name"},
    "customer": {"pt-BR": "Cliente", "en": "Customer"},
    "plan": {"pt-BR": "Plano", "en": "Plan"},
    "target": {"pt-BR": "Meta (%)", "en": "Target (%)"},
    "availability_pct": {"pt-BR": "Disponibilidade (%)", "en": "Availability (%)"},
    "shortfall": {"pt-BR": "Déficit (p.p.)", "en": "Shortfall (points)"},
    "downtime_min": {"pt-BR": "Indisponível (min)", "en": "Down (min)"},
    "devices": {"pt-BR": "Dispositivos", "en": "Devices"},
    "region": {"pt-BR": "Região", "en": "Region"},
    "recovered": {"pt-BR": "Recuperados", "en": "Recovered"},
    "time": {"pt-BR": "Horário", "en": "Time"},
    "online": {"pt-BR": "Online", "en": "Online"},
    "offline": {"pt-BR": "Offline", "en": "Offline"},
    "rx_range": {"pt-BR": "Faixa Rx (dBm)", "en": "Rx range (dBm)"},
    "onus": {"pt-BR": "ONUs", "en": "ONUs"},
    "kind": {"pt-BR": "Tipo", "en": "Kind"},
    "vendor": {"pt-BR": "Fabricante", "en": "Vendor"},
    "model": {"pt-BR": "Modelo", "en": "Model"},
    "firmware_version": {"pt-BR": "Firmware", "en": "Firmware"},
    "counter": {"pt-BR": "Contador", "en": "Counter"},
    "count": {"pt-BR": "Quantidade", "en": "Count"},
    "none": {"pt-BR": "Nenhum", "en": "None"},
    "no_region": {"pt-BR": "(sem região)", "en": "(no region)"},
    "value": {"pt-BR": "Valor", "en": "Value"},
    "kpi": {"pt-BR": "Indicador", "en": "KPI"},
}


def label(key: str, language: str) -> str:
    """The label ``key`` in ``language`` (English when unknown)."""
    versions = LABELS[key]
    return versions.get(language) or versions["en"]


def number(value: float | int | None, language: str, digits: int = 3) -> str:
    """A number as the language writes it (``99,912`` in pt-BR); ``-`` for none."""
    if value is None:
        return "-"
    text = f"{value:,d}" if isinstance(value, int) else f"{value:,.{digits}f}"
    if language == "pt-BR":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text
