"""Who a simulated CPE is: vendor, serial, addresses and settings, all drawn from the seed."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Vendor:
    manufacturer: str
    oui: str
    product_class: str
    model_name: str
    vendor_id: str
    """Four letters that start a GPON serial (empty for CPEs that are not ONTs)."""
    software: str
    hardware: str
    ssid_prefix: str


# fmt: off
ONT_VENDORS = (
    Vendor("Huawei", "00E0FC", "HG8245H", "HG8245H", "HWTC", "V3R017C10S115", "10C7.A",
           "HUAWEI"),
    Vendor("ZTE", "0019C6", "F670L", "ZXHN F670L", "ZTEG", "V9.0.10P1N12", "V9.0", "ZTE"),
    Vendor("Nokia", "00D0F6", "G-140W-C", "G-140W-C", "ALCL", "3FE49362IJHK46", "3FE48299DEAA",
           "NOKIA"),
)
ROUTER_VENDORS = (
    Vendor("TP-Link", "50C7BF", "Archer C6", "Archer C6", "", "1.1.9 Build 20230113", "v3.2",
           "TP-Link"),
    Vendor("ZyXEL", "001349", "VMG3625-T20A", "VMG3625-T20A", "", "V5.50(ABPM.6)C0", "1.0",
           "Zyxel"),
)
# fmt: on

_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def _secret(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(_PASSWORD_ALPHABET) for _ in range(length))


def _client_mac(rng: random.Random) -> str:
    """A locally administered MAC, as phones with address randomisation use."""
    octets = [rng.getrandbits(8) for _ in range(6)]
    octets[0] = octets[0] & 0xFE | 0x02
    return ":".join(f"{octet:02X}" for octet in octets)


@dataclass(slots=True)
class Identity:
    """The seeded facts one CPE is built from."""

    vendor: Vendor
    serial: str
    mac: str
    wan_ip: str
    pppoe_username: str
    pppoe_password: str
    ssid: str
    wifi_key: str
    channels: tuple[int, int]
    cr_username: str
    cr_password: str
    rx_dbm: float
    tx_dbm: float
    clients: tuple[tuple[str, str, int], ...]
    """Wi-Fi clients as (MAC, IP, mean RSSI in dBm); the first half on 2.4 GHz."""
    clients_per_band: tuple[int, int]


def make_identity(seed: int, index: int, *, ont: bool) -> Identity:
    """Draw CPE number ``index`` of the fleet seeded with ``seed``."""
    # Repeatable from the seed on purpose: the same fleet every run.
    rng = random.Random(f"rjchronos-sim:{seed}:{index}")  # noqa: S311
    vendor = rng.choice(ONT_VENDORS if ont else ROUTER_VENDORS)
    if ont:
        serial = f"{vendor.vendor_id}{rng.getrandbits(32):08X}"
    else:
        serial = f"{vendor.oui[-4:]}{rng.randrange(10**9, 10**10)}"
    mac_tail = rng.getrandbits(24)
    mac = ":".join(
        [vendor.oui[i : i + 2] for i in (0, 2, 4)]
        + [f"{(mac_tail >> shift) & 0xFF:02X}" for shift in (16, 8, 0)]
    )
    band_counts = (rng.randint(0, 3), rng.randint(0, 2))
    clients = tuple(
        (
            _client_mac(rng),
            f"192.168.1.{100 + n}",
            rng.randint(-82, -38),
        )
        for n in range(sum(band_counts))
    )
    return Identity(
        vendor=vendor,
        serial=serial,
        mac=mac,
        wan_ip=f"100.{rng.randint(64, 127)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        pppoe_username=f"client{index:06d}@isp.example",
        pppoe_password=_secret(rng, 10),
        ssid=f"{vendor.ssid_prefix}-{mac.replace(':', '')[-4:]}",
        wifi_key=_secret(rng, 12),
        channels=(rng.choice((1, 6, 11)), rng.choice((36, 40, 44, 48, 149, 153, 157, 161))),
        cr_username=serial,
        cr_password=_secret(rng, 12),
        rx_dbm=round(rng.uniform(-26.0, -17.0), 2),
        tx_dbm=round(rng.uniform(1.5, 3.5), 2),
        clients=clients,
        clients_per_band=band_counts,
    )
