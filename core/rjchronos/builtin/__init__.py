"""Core features, each registered as a plugin like any other.

The order is the registration order; pluggy calls later plugins first.
"""

BUILTIN_PLUGINS: tuple[str, ...] = (
    "rjchronos.builtin.system",
    "rjchronos.builtin.auth",
    "rjchronos.builtin.audit",
    "rjchronos.builtin.customers",
    "rjchronos.builtin.inventory",
    "rjchronos.builtin.telemetry",
    "rjchronos.builtin.jobs",
    "rjchronos.builtin.notifications",
    "rjchronos.builtin.alerts",
    "rjchronos.builtin.tickets",
    "rjchronos.builtin.ai",
    "rjchronos.builtin.ui",
)
