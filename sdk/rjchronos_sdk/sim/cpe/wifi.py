"""The radio environment of a simulated CPE: how good each Wi-Fi channel is.

By default every channel is clean. ``SimulatedCpe.interfere(radio, {6: BUSY})``
makes channel 6 of radio 1 bad; the CPE then reports, on whatever channel the
radio is set to: its clients' signal strength (shifted by the channel's
``rssi_offset_db``), their ``Retransmissions`` (of the last 100 packets),
the radio's ``Stats.Noise`` and its ``ChannelsInUse``. Change the channel
(a SetParameterValues) and the readings follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: Channels each radio may use: the non-overlapping ones of 2.4 GHz, then 5 GHz's.
POSSIBLE_CHANNELS = {1: (1, 6, 11), 2: (36, 40, 44, 48, 149, 153, 157, 161)}


@dataclass(frozen=True, slots=True)
class ChannelConditions:
    """What the clients of a radio see on one channel.

    :param rssi_offset_db: added to each client's signal strength (negative: weaker).
    :param retransmissions: packets retransmitted of the last 100 sent to a client.
    :param noise_dbm: the radio's noise floor.
    :param neighbours: whether other access points use the channel (``ChannelsInUse``).
    """

    rssi_offset_db: float = 0.0
    retransmissions: int = 3
    noise_dbm: int = -92
    neighbours: bool = False


CLEAN = ChannelConditions()
#: A channel crowded by neighbouring networks: weak, noisy, many retransmissions.
BUSY = ChannelConditions(rssi_offset_db=-14.0, retransmissions=45, noise_dbm=-71, neighbours=True)
#: Interference no scan shows (a microwave oven, a baby monitor): worse still.
HIDDEN_NOISE = ChannelConditions(rssi_offset_db=-18.0, retransmissions=70, noise_dbm=-65)


@dataclass(slots=True)
class RadioEnvironment:
    """Conditions per channel of one radio; channels not listed have ``default``."""

    channels: dict[int, ChannelConditions] = field(default_factory=dict)
    default: ChannelConditions = CLEAN

    def at(self, channel: int) -> ChannelConditions:
        return self.channels.get(channel, self.default)

    def in_use(self, radio: int, own: int) -> str:
        """``ChannelsInUse``: the radio's own channel and those neighbours use."""
        used = {own} | {c for c, cond in self.channels.items() if cond.neighbours}
        if self.default.neighbours:
            used |= set(POSSIBLE_CHANNELS.get(radio, ()))
        return ",".join(str(c) for c in sorted(used))


def environment(
    channels: Mapping[int, ChannelConditions], default: ChannelConditions = CLEAN
) -> RadioEnvironment:
    """A radio environment with these channels' conditions."""
    return RadioEnvironment(dict(channels), default)
