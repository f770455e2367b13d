"""Alert rules, alerts with their lifecycle, silences and incidents (``builtin.alerts``)."""
