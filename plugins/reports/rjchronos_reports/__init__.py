"""Reports: KPIs, SLA, PDF and Excel, on demand and scheduled (``reports``)."""

PLUGIN = "reports"
