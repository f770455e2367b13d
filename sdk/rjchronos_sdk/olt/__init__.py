"""Transports OLT driver plugins share: a scrapli CLI session and a pysnmp bulk reader.

Install with the ``olt`` extra (``rjchronos-sdk[olt]``); a vendor plugin supplies its
CLI platform (prompts, set-up commands, error strings) and its OIDs, and keeps its
parsers and index math to itself.
"""

from rjchronos_sdk.olt.cli import CliPlatform, CliSettings, ScrapliCli
from rjchronos_sdk.olt.driver import CliOltDriver
from rjchronos_sdk.olt.snmp import SnmpClient, SnmpSettings

__all__ = ["CliOltDriver", "CliPlatform", "CliSettings", "ScrapliCli", "SnmpClient", "SnmpSettings"]
