"""Downloads and uploads: real HTTP transfers, then TransferComplete in the next session."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import httpx

from rjchronos_sdk.sim.cpe.auth import CpeAuth
from rjchronos_sdk.sim.cpe.firmware import ImageReader

if TYPE_CHECKING:
    from rjchronos_sdk.sim.cpe.cpe import SimulatedCpe, Transfer

MAX_DOWNLOAD = 256 * 1024 * 1024
_EVENT_BY_METHOD = {
    "Download": "M Download",
    "ScheduleDownload": "M ScheduleDownload",
    "Upload": "M Upload",
}


def start_transfer(cpe: SimulatedCpe, transfer: Transfer) -> None:
    """Run the transfer on the fleet's loop once its delay has passed."""
    transfer.task = cpe.fleet.spawn(_run(cpe, transfer))


async def _run(cpe: SimulatedCpe, transfer: Transfer) -> None:
    await asyncio.sleep(max(0.0, transfer.start_at - time.time()))
    transfer.started = True
    transfer.start_time = time.time()
    rebooted = False
    try:
        if transfer.method == "Upload":
            await _upload(cpe, transfer)
        else:
            rebooted = await _download(cpe, transfer)
    except httpx.HTTPError as exc:
        code = 9011 if transfer.method == "Upload" else 9010
        transfer.fault_code, transfer.fault_string = code, f"transfer failed: {exc}"
    transfer.complete_time = time.time()
    if transfer in cpe.transfers:
        cpe.transfers.remove(transfer)
    cpe.completed_transfers.append(transfer)
    cpe.fleet.counters["transfers_failed" if transfer.fault_code else "transfers_ok"] += 1
    cpe.add_event("7 TRANSFER COMPLETE")
    cpe.add_event(_EVENT_BY_METHOD[transfer.method], transfer.command_key)
    if rebooted:
        cpe.reboot()
    else:
        cpe.fleet.wake(cpe)


def _auth(transfer: Transfer) -> httpx.Auth:
    if transfer.username:
        return CpeAuth(transfer.username, transfer.password)
    return httpx.Auth()  # sends requests as they are


async def _download(cpe: SimulatedCpe, transfer: Transfer) -> bool:
    """Fetch the file; return True when the CPE reboots to install it."""
    reader = ImageReader()
    client = cpe.fleet.client
    async with client.stream("GET", transfer.url, auth=_auth(transfer)) as response:
        if response.status_code in (401, 403):
            transfer.fault_code, transfer.fault_string = 9012, f"HTTP {response.status_code}"
            return False
        if response.status_code != 200:
            transfer.fault_code, transfer.fault_string = 9016, f"HTTP {response.status_code}"
            return False
        async for chunk in response.aiter_bytes():
            reader.feed(chunk)
            if reader.size > MAX_DOWNLOAD:
                transfer.fault_code, transfer.fault_string = 9010, "file too large"
                return False
    if transfer.file_size and reader.size != transfer.file_size:
        transfer.fault_code = 9018
        transfer.fault_string = f"got {reader.size} bytes, expected {transfer.file_size}"
        return False
    if not reader.intact:
        transfer.fault_code, transfer.fault_string = 9018, "checksum mismatch"
        return False
    if cpe.download_failures:
        cpe.download_failures -= 1 if cpe.download_failures > 0 else 0
        transfer.fault_code, transfer.fault_string = 9010, "injected download failure"
        return False
    if not transfer.file_type.startswith(("1 ", "3 ")):
        return False
    if transfer.file_type.startswith("1 "):
        version = reader.version or transfer.target_file_name or f"fw-{reader.digest[:8]}"
        cpe.tree.values[cpe.paths.software_version] = version
    return True


async def _upload(cpe: SimulatedCpe, transfer: Transfer) -> None:
    if transfer.file_type.startswith(("1 ", "3 ")):
        lines = [
            f"{name}={cpe.value(name)}"
            for name, definition in cpe.tree.params.items()
            if definition.writable and "Password" not in name and "Passphrase" not in name
        ]
    else:
        lines = [f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {cpe.serial} system up"]
    response = await cpe.fleet.client.put(
        transfer.url, content="\n".join(lines).encode(), auth=_auth(transfer)
    )
    if response.status_code in (401, 403):
        transfer.fault_code, transfer.fault_string = 9012, f"HTTP {response.status_code}"
    elif response.status_code >= 300:
        transfer.fault_code, transfer.fault_string = 9011, f"HTTP {response.status_code}"
