"""The ``rjchronos`` command."""

from rjchronos.cli.main import main

__all__ = ["main"]
