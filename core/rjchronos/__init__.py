"""RJChronos: manage and monitor an ISP's CPEs and OLTs from one place."""

from rjchronos.plugins.markers import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]
