"""Built-in plugin: telemetry (being written)."""
