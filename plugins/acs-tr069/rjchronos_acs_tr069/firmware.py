"""The firmware store: images on disk under ``RJC_HOME/firmware``, served with download tokens.

A download token is the image id, the device id and an expiry sealed with the
instance's secret key (``kernel.secrets``, authenticated encryption): it cannot
be guessed or altered, it names the one device and image it was made for, and
it stops working when it expires. The ACS listener serves ``GET
/firmware/<token>`` with HTTP Range support (206, ``Content-Range``, 416).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from rjchronos.http.problems import Problem
from rjchronos.inventory.models import Device
from rjchronos.security.secrets import SecretError
from rjchronos_acs_tr069 import PLUGIN
from rjchronos_acs_tr069.models_firmware import FirmwareImage, images

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlmodel import Session

    from rjchronos.kernel import Kernel

FIRMWARE_TYPE = "1 Firmware Upgrade Image"
DEFAULT_MAX_SIZE = 512 * 1024 * 1024
DEFAULT_TOKEN_TTL = 24 * 3600
ROUTE_PREFIX = "/firmware/"


class StoreError(ValueError):
    """An upload the store refuses; ``field`` names what was wrong, ``status`` the HTTP status."""

    def __init__(self, field: str, reason: str, status: int = 422) -> None:
        super().__init__(reason)
        self.field, self.reason, self.status = field, reason, status


def store_dir(kernel: Kernel) -> Path:
    return Path(kernel.settings.home) / "firmware"


def image_path(kernel: Kernel, image_id: str) -> Path:
    return store_dir(kernel) / image_id


def max_size(kernel: Kernel) -> int:
    return int(kernel.plugin_settings(PLUGIN).get("firmware_max_bytes", DEFAULT_MAX_SIZE))


async def save(
    kernel: Kernel,
    chunks: AsyncIterator[bytes],
    *,
    metadata: dict[str, Any],
    actor: str,
) -> FirmwareImage:
    """Stream an upload to the store, checking its size and its SHA-256 against ``metadata``.

    Nothing is kept when a check fails: the partial file is removed.
    """
    limit = max_size(kernel)
    image = FirmwareImage(
        filename=metadata.get("filename") or "firmware.bin",
        product_class=metadata.get("product_class", ""),
        oui=metadata.get("oui", "").upper(),
        version=metadata["version"],
        file_type=metadata.get("file_type", FIRMWARE_TYPE),
        size=0,
        sha256="",
        created_by=actor,
    )
    folder = store_dir(kernel)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{image.id}.part"
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            async for chunk in chunks:
                image.size += len(chunk)
                if image.size > limit:
                    raise StoreError("body", f"an image may hold at most {limit} bytes", 413)
                digest.update(chunk)
                out.write(chunk)
        if image.size == 0:
            raise StoreError("file", "the image is empty")
        image.sha256 = digest.hexdigest()
        if image.sha256 != metadata["sha256"].lower():
            raise StoreError(
                "sha256", f"the image's SHA-256 is {image.sha256}, not {metadata['sha256']}"
            )
        os.replace(partial, image_path(kernel, image.id))
    finally:
        partial.unlink(missing_ok=True)
    try:
        await run_in_threadpool(_insert, kernel, image)
    except BaseException:
        image_path(kernel, image.id).unlink(missing_ok=True)
        raise
    return image


def _insert(kernel: Kernel, image: FirmwareImage) -> None:
    with kernel.db.session() as session:
        session.add(image)
        session.flush()
        session.expunge(image)


def render(image: FirmwareImage) -> dict[str, Any]:
    return {
        "id": image.id,
        "filename": image.filename,
        "product_class": image.product_class,
        "oui": image.oui,
        "version": image.version,
        "file_type": image.file_type,
        "size": image.size,
        "sha256": image.sha256,
        "created_by": image.created_by,
        "created_at": image.created_at.isoformat(),
    }


def find_version(
    session: Session, version: str, product_class: str, oui: str
) -> FirmwareImage | None:
    """The newest stored firmware image of ``version`` a device of that class and OUI takes."""
    rows = session.execute(
        select(FirmwareImage)
        .where(images.c.version == version, images.c.file_type == FIRMWARE_TYPE)
        .order_by(images.c.created_at.desc())
    ).scalars()
    return next((i for i in rows if fits(i, product_class, oui)), None)


def fits(image: FirmwareImage, product_class: str, oui: str) -> bool:
    """Whether a device of ``product_class`` and ``oui`` may take the image (blank: any)."""
    return (not image.product_class or image.product_class == product_class) and (
        not image.oui or image.oui == oui.upper()
    )


def identity_parts(identity: str | None) -> tuple[str, str]:
    """(OUI, ProductClass) of an ``OUI-ProductClass-Serial`` identity."""
    parts = (identity or "").split("-")
    if len(parts) < 3:
        return (parts[0] if parts else ""), ""
    return parts[0], "-".join(parts[1:-1])


# -- download tokens and the listener's file route --------------------------------------


def token_for(kernel: Kernel, image_id: str, device_id: str, ttl: float | None = None) -> str:
    """A token that lets ``device_id`` download ``image_id`` until it expires."""
    if ttl is None:
        ttl = float(kernel.plugin_settings(PLUGIN).get("download_token_seconds", DEFAULT_TOKEN_TTL))
    sealed = json.dumps({"f": image_id, "d": device_id, "e": int(time.time() + ttl)})
    return kernel.secrets.encrypt(sealed)


def read_token(kernel: Kernel, token: str) -> tuple[str, str] | None:
    """(image id, device id) of a valid, unexpired token; ``None`` otherwise."""
    try:
        claims = json.loads(kernel.secrets.decrypt(token))
    except (SecretError, ValueError):
        return None
    if not isinstance(claims, dict) or float(claims.get("e", 0)) < time.time():
        return None
    return str(claims["f"]), str(claims["d"])


def download_args(
    kernel: Kernel,
    session: Session,
    params: dict[str, Any],
    device_id: str,
    command_key: str,
    acs_url: str,
) -> dict[str, Any]:
    """The Download RPC's arguments for a stored image: URL with a fresh token, size, type."""
    image = session.get(FirmwareImage, params["file"])
    if image is None:
        raise LookupError(f"firmware image {params['file']} is no longer in the store")
    base = kernel.plugin_settings(PLUGIN).get("firmware_base_url") or acs_url
    token = token_for(kernel, image.id, device_id)
    return {
        "command_key": command_key,
        "file_type": image.file_type,
        "url": f"{base.rstrip('/')}{ROUTE_PREFIX}{token}",
        "username": "",
        "password": "",
        "file_size": image.size,
        "target_file_name": image.filename,
        "delay_seconds": params.get("delay_seconds", 0),
    }


async def serve(kernel: Kernel, request: Request) -> Response:
    """``GET /firmware/<token>`` on the ACS listener (Range requests get 206 or 416)."""
    claims = read_token(kernel, request.path_params["token"])
    if claims is None:
        return PlainTextResponse("unknown or expired download token", status_code=403)
    path = image_path(kernel, claims[0])
    if not path.is_file():
        return PlainTextResponse("the image is no longer in the store", status_code=404)
    return FileResponse(path, media_type="application/octet-stream")


def resolve_download(kernel: Kernel, device_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A ``{"type": "download", "file": id}`` body completed from the store (422 naming
    ``body.file`` when the image is unknown or not for this device)."""
    with kernel.db.session() as session:
        image = session.get(FirmwareImage, body["file"])
        device = session.get(Device, device_id)
        reason = ""
        if image is None:
            reason = "no such firmware image"
        elif device is not None and not fits(image, *reversed(identity_parts(device.identity))):
            reason = f"the image is for {image.oui or '*'}-{image.product_class or '*'}"
        if reason:
            raise Problem(
                422,
                "Invalid task",
                f"body.file: {reason}",
                invalid_params=[{"name": "body.file", "reason": reason}],
            )
        assert image is not None
        return {
            **body,
            "file_type": image.file_type,
            "file_size": image.size,
            "target_file_name": image.filename,
            "version": image.version,
        }
