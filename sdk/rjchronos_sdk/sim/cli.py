"""``rjchronos-sim``: device simulators for tests, demos and benchmarks."""

from __future__ import annotations

import click

from rjchronos_sdk.sim.cpe.cli import cpe_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Simulate CPEs and OLTs on this machine."""


main.add_command(cpe_command)


def _add_olt() -> None:
    try:
        from rjchronos_sdk.sim.olt.cli import olt_command
    except ImportError:  # the OLT simulator's SSH/SNMP libraries are not installed
        return
    main.add_command(olt_command)


_add_olt()
