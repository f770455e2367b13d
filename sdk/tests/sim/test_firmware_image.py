"""Simulated firmware images carry their version, spaces included, and their checksum."""

from __future__ import annotations

from rjchronos_sdk.sim.cpe.firmware import ImageReader, firmware_image


def read(image: bytes, chunk: int = 7) -> ImageReader:
    reader = ImageReader()
    for start in range(0, len(image), chunk):
        reader.feed(image[start : start + chunk])
    return reader


def test_a_version_with_spaces_round_trips() -> None:
    reader = read(firmware_image("1.1.9 Build 20230113", size=300))
    assert reader.version == "1.1.9 Build 20230113"
    assert reader.intact


def test_a_corrupted_payload_is_detected() -> None:
    image = bytearray(firmware_image("V2", size=300))
    image[-1] ^= 0xFF
    reader = read(bytes(image))
    assert reader.version == "V2" and not reader.intact
