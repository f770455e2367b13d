"""PPPoE and DHCP errors from a CPE's WAN connection status and last-error parameters.

Whenever a session's values (an Inform, a telemetry read, a refresh) hold a
WAN connection's status, the CPE gets a sample of ``cpe.pppoe_error`` or
``cpe.dhcp_error``: ``1`` when a connection of that kind is failing, with the
CPE's reason in the ``error`` label, ``0`` when one is up. A connection that is
neither (disabled, unconfigured, still connecting, or a status without its
last error) says nothing. Summed per group, the samples count error reports;
the aggregate's ``nonzero`` counts the CPEs that reported one.

- TR-098: ``WANPPPConnection.{i}`` (PPPoE) and ``WANIPConnection.{i}``
  addressed by DHCP: ``ConnectionStatus`` other than ``Connected`` with a
  ``LastConnectionError`` other than ``ERROR_NONE``.
- TR-181: ``Device.PPP.Interface.{i}``: the same, or ``Status`` ``Error``;
  ``Device.DHCPv4.Client.{i}``: ``Status`` ``Error`` or ``Error_Misconfigured``
  (up: ``DHCPStatus`` ``Bound``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PPP_METRIC = "cpe.pppoe_error"
DHCP_METRIC = "cpe.dhcp_error"
_WAN_098 = r"InternetGatewayDevice\.WANDevice\.\d+\.WANConnectionDevice\.\d+\."
#: Instance pattern -> metric.
_CONNECTIONS = (
    (re.compile(rf"^{_WAN_098}WANPPPConnection\.\d+\.$"), PPP_METRIC),
    (re.compile(rf"^{_WAN_098}WANIPConnection\.\d+\.$"), DHCP_METRIC),
    (re.compile(r"^Device\.PPP\.Interface\.\d+\.$"), PPP_METRIC),
    (re.compile(r"^Device\.DHCPv4\.Client\.\d+\.$"), DHCP_METRIC),
)
_LEAVES = frozenset(
    (
        "Enable",
        "Status",
        "ConnectionStatus",
        "LastConnectionError",
        "AddressingType",
        "DHCPStatus",
    )
)
_NO_ERROR = ("", "ERROR_NONE")
_DISABLED = ("false", "0")
_DHCP_ERRORS = ("Error", "Error_Misconfigured")

_PPP_098 = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1."
_IP_098 = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1."
#: Per data model root: what a telemetry read asks for (the first connection of each kind).
STATUS_PATHS: dict[str, tuple[str, ...]] = {
    "InternetGatewayDevice.": (
        _PPP_098 + "ConnectionStatus",
        _PPP_098 + "LastConnectionError",
        _IP_098 + "AddressingType",
        _IP_098 + "ConnectionStatus",
        _IP_098 + "LastConnectionError",
    ),
    "Device.": (
        "Device.PPP.Interface.1.Status",
        "Device.PPP.Interface.1.ConnectionStatus",
        "Device.PPP.Interface.1.LastConnectionError",
        "Device.DHCPv4.Client.1.Status",
        "Device.DHCPv4.Client.1.DHCPStatus",
    ),
}


@dataclass(frozen=True)
class Reading:
    """What one session's values say of a CPE's connections of one kind."""

    metric: str
    error: str | None
    """The failing connection's reason, ``None`` when a connection is up and none fails."""
    connection: str

    @property
    def value(self) -> float:
        return 0.0 if self.error is None else 1.0

    @property
    def labels(self) -> dict[str, str]:
        if self.error is None:
            return {"connection": self.connection}
        return {"connection": self.connection, "error": self.error}


def readings(values: Mapping[str, str | None]) -> list[Reading]:
    """Per metric, a failing connection if any, else one that is up; nothing if neither."""
    instances: dict[str, dict[str, str]] = {}
    for path, value in values.items():
        instance, _, leaf = path.rpartition(".")
        if leaf in _LEAVES:
            instances.setdefault(instance + ".", {})[leaf] = value or ""
    found: dict[str, Reading] = {}
    for instance in sorted(instances):
        metric = next((m for pattern, m in _CONNECTIONS if pattern.match(instance)), None)
        if metric is None:
            continue
        state = _state(instance, instances[instance])
        if state is None:
            continue
        reading = Reading(metric, state or None, instance)
        current = found.get(metric)
        if current is None or (current.error is None and reading.error is not None):
            found[metric] = reading
    return [found[m] for m in sorted(found)]


def _state(instance: str, fields: Mapping[str, str]) -> str | None:
    """The connection's error, ``""`` when it is up, ``None`` when its values tell neither."""
    if fields.get("Enable", "").lower() in _DISABLED:
        return None
    if fields.get("AddressingType", "DHCP") != "DHCP":
        return None  # a static or PPP-addressed IP connection has no DHCP to fail
    status = fields.get("Status", "")
    if instance.startswith("Device.DHCPv4."):
        if status in _DHCP_ERRORS:
            return status
        return "" if fields.get("DHCPStatus") == "Bound" else None
    if fields.get("ConnectionStatus") == "Connected" or status == "Up":
        return ""
    last = fields.get("LastConnectionError")
    if status == "Error":
        return last if last not in (None, *_NO_ERROR) else "Error"
    if ("ConnectionStatus" in fields or status) and last not in (None, *_NO_ERROR):
        return last
    return None
