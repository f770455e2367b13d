"""Running-configuration backups: taken on a schedule or on demand, kept when they changed.

Each OLT's configuration is read whole through its driver (paging is off in
the CLI session) and stored only when its SHA-256 differs from the latest
version's, so a daily backup of an OLT nobody touched adds nothing. Any two
versions compare as a unified diff.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from rjchronos.db.types import utcnow
from rjchronos.drivers.contracts import UnsupportedOperation
from rjchronos.drivers.olt_model import OltCommandError, OltConnectionError
from rjchronos.inventory.errors import NotFound
from rjchronos_olt_manager import store
from rjchronos_olt_manager.connection import DriverChoiceError, open_driver
from rjchronos_olt_manager.models import OltConfigBackup

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)

JOB_TYPE = "olt.config_backup"


def normalise(text: str) -> str:
    """One line ending and no trailing blanks, so a re-read of the same config hashes the same."""
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"


async def read_config(kernel: Kernel, olt_id: str) -> str:
    """The OLT's running configuration, read now."""
    olt = store.load(kernel, olt_id)
    async with open_driver(kernel, olt) as driver:
        return normalise(await driver.running_config())


def store_version(
    kernel: Kernel, olt_id: str, text: str, actor: str
) -> tuple[OltConfigBackup, bool]:
    """Keep ``text`` as the OLT's newest version unless it equals the latest; (version, stored)."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    with kernel.db.session() as session:
        olt = store.load(kernel, olt_id, session=session)
        latest = session.exec(
            select(OltConfigBackup)
            .where(OltConfigBackup.device_id == olt_id)
            .order_by(col(OltConfigBackup.taken_at).desc(), col(OltConfigBackup.id).desc())
            .limit(1)
        ).first()
        olt.settings.last_backup_at = utcnow()
        session.add(olt.settings)
        if latest is not None and latest.sha256 == digest:
            session.expunge(latest)
            return latest, False
        version = OltConfigBackup(
            device_id=olt_id, sha256=digest, size=len(text.encode()), content=text, actor=actor
        )
        session.add(version)
        session.flush()
        session.expunge(version)
        return version, True


async def backup(kernel: Kernel, olt_id: str, *, actor: str = "scheduler") -> dict[str, Any]:
    """Take one backup of the OLT; the summary becomes the job's result."""
    try:
        text = await read_config(kernel, olt_id)
    except NotFound:
        return {"olt": olt_id, "skipped": "no such OLT"}
    except UnsupportedOperation as exc:
        return {"olt": olt_id, "skipped": str(exc)}
    except (OltConnectionError, OltCommandError, DriverChoiceError) as exc:
        log.warning("backing up the configuration of OLT %s failed: %s", olt_id, exc)
        return {"olt": olt_id, "ok": False, "error": str(exc)}
    version, stored = store_version(kernel, olt_id, text, actor)
    return {"olt": olt_id, "ok": True, "backup": version.id, "changed": stored}


async def run_job(kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
    return await backup(kernel, str(params["device_id"]))


def get_version(kernel: Kernel, olt_id: str, backup_id: str) -> OltConfigBackup:
    """One version of this OLT's configuration; :class:`NotFound` otherwise."""
    with kernel.db.session() as session:
        version = session.get(OltConfigBackup, backup_id)
        if version is None or version.device_id != olt_id:
            raise NotFound("configuration backup", backup_id)
        session.expunge(version)
        return version


def diff(old: OltConfigBackup, new: OltConfigBackup) -> str:
    """A unified diff from ``old`` to ``new`` (empty when they are equal)."""
    return "".join(
        difflib.unified_diff(
            old.content.splitlines(keepends=True),
            new.content.splitlines(keepends=True),
            fromfile=f"{old.id} {old.taken_at.isoformat()}",
            tofile=f"{new.id} {new.taken_at.isoformat()}",
        )
    )
