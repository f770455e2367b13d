"""Telemetry store backends, one per database (see ``rjchronos.telemetry.store.BACKENDS``)."""
