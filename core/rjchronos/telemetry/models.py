"""telemetry tables (being written)."""
