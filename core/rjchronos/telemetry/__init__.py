"""The telemetry store: samples by entity and metric over time."""
