"""Provisioning profiles: versioned documents, their schema, storage and matching.

A profile says which CPEs it is for (preconditions), when it runs (the Inform
events that trigger it) and what those CPEs must hold (desired state). The
engine in :mod:`rjchronos_acs_tr069.provisioning` converges devices to it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Column, ForeignKey, String, Table, select
from sqlmodel import Field, Session

from rjchronos.customers.models import Customer, Plan
from rjchronos.db.ids import new_id
from rjchronos.db.types import JsonDocument, UtcDateTime, utcnow
from rjchronos.http.problems import Problem
from rjchronos.inventory.models import Device, devices
from rjchronos_acs_tr069 import PLUGIN, names
from rjchronos_acs_tr069.models import AcsModel

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

#: Inform events that run profiles, and ``on_demand`` (``POST /devices/{id}/provision``).
TRIGGERS = ("0 BOOTSTRAP", "1 BOOT", "2 PERIODIC", "on_demand")
ROOTS = names.ROOTS
DEFAULT_CACHE_SECONDS = 5.0
#: Canonical names profiles may use instead of paths (see :mod:`rjchronos_acs_tr069.names`).
ALIASES = sorted([*names.NAMES, *names.LEGACY])

_customers = cast(Table, Customer.__table__)  # type: ignore[attr-defined]
_plans = cast(Table, Plan.__table__)  # type: ignore[attr-defined]
_NAME = {"type": "string", "minLength": 1, "maxLength": 256}
#: A parameter path of either data model, or a canonical alias.
_PARAMETER = {
    "anyOf": [
        {"type": "string", "pattern": r"^(InternetGatewayDevice|Device)\.([^.]+\.)*[^.]+$"},
        {"enum": ALIASES},
    ]
}
_VALUE = {"type": ["string", "integer", "boolean"]}
_VALUES = {
    "type": "object",
    "propertyNames": {"maxLength": 256},
    "additionalProperties": _VALUE,
}
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 128}}

PROFILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "triggers", "desired"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 120},
        "description": {"type": "string", "maxLength": 1000},
        "enabled": {"type": "boolean", "default": True},
        "preconditions": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "oui": _STRINGS,
                "product_class": _STRINGS,
                "model": _STRINGS,
                "firmware_prefix": {"type": "string", "maxLength": 128},
                "tags": _STRINGS,
                "plan": _STRINGS,
            },
        },
        "triggers": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": list(TRIGGERS)},
        },
        "desired": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "parameters": {**_VALUES, "propertyNames": _PARAMETER},
                "objects": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["path", "key"],
                        "additionalProperties": False,
                        "properties": {
                            "path": {
                                **_NAME,
                                "pattern": r"^(InternetGatewayDevice|Device)\..*\.$",
                            },
                            "key": {**_VALUES, "minProperties": 1},
                            "values": _VALUES,
                        },
                    },
                },
                "notifications": {
                    "type": "object",
                    "propertyNames": _PARAMETER,
                    "additionalProperties": {"enum": [0, 1, 2]},
                },
                "pppoe_from_customer": {"type": "boolean"},
            },
        },
    },
}


class Profile(AcsModel, table=True):
    """The current version of a provisioning profile."""

    __tablename__ = "acs_profiles"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    name: str = Field(max_length=120, unique=True)
    version: int = 1
    document: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    created_by: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ProfileVersion(AcsModel, table=True):
    """Every version a profile has had, kept for history."""

    __tablename__ = "acs_profile_versions"

    profile_id: str = Field(
        sa_column=Column(
            String(26),
            ForeignKey("acs_profiles.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    version: int = Field(primary_key=True)
    document: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    created_by: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class PppoeCredentials(AcsModel, table=True):
    """A customer's PPPoE username and password (sealed with the instance's secret key)."""

    __tablename__ = "acs_pppoe_credentials"

    customer_id: str = Field(
        sa_column=Column(
            String(26), ForeignKey(_customers.c.id, ondelete="CASCADE"), primary_key=True
        )
    )
    username: str = Field(max_length=255)
    password_encrypted: str
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ProvisionRequest(AcsModel, table=True):
    """A request to run the device's ``on_demand`` profiles at its next session."""

    __tablename__ = "acs_provision_requests"

    device_id: str = Field(
        sa_column=Column(String(26), ForeignKey(devices.c.id, ondelete="CASCADE"), primary_key=True)
    )
    requested_by: str = Field(default="", max_length=255)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


profile_rows = cast(Table, Profile.__table__)  # type: ignore[attr-defined]
version_rows = cast(Table, ProfileVersion.__table__)  # type: ignore[attr-defined]


def check_document(document: dict[str, Any]) -> None:
    """What JSON Schema cannot say: an object's key names a field, not a path.

    :raises Problem: 422 naming the field.
    """
    objects = document.get("desired", {}).get("objects", [])
    for index, entry in enumerate(objects):
        for part in ("key", "values"):
            for field in entry.get(part, {}):
                if "." in field:
                    raise Problem(
                        422,
                        "Invalid body",
                        f"object fields are names relative to {entry['path']}",
                        invalid_params=[
                            {
                                "name": f"body.desired.objects.{index}.{part}.{field}",
                                "reason": "a field name, without dots",
                            }
                        ],
                    )


def render(profile: Profile) -> dict[str, Any]:
    """A profile as the API shows it."""
    return {
        "id": profile.id,
        "version": profile.version,
        **profile.document,
        "created_by": profile.created_by,
        "created_at": profile.created_at.isoformat(),
        "updated_at": profile.updated_at.isoformat(),
    }


def save(session: Session, profile: Profile, document: dict[str, Any], actor: str) -> Profile:
    """Store ``document`` as the profile's next version (or its first)."""
    if profile.document:
        profile.version += 1
    profile.document, profile.name, profile.updated_at = document, document["name"], utcnow()
    profile.created_by = profile.created_by or actor
    session.add(profile)
    session.flush()
    session.add(
        ProfileVersion(
            profile_id=profile.id, version=profile.version, document=document, created_by=actor
        )
    )
    return profile


@dataclass(frozen=True)
class Facts:
    """What preconditions are checked against."""

    oui: str
    product_class: str
    model: str
    firmware: str
    tags: frozenset[str]
    plan: str | None
    customer_id: str | None


def facts(session: Session, device: Device, oui: str, product_class: str) -> Facts:
    """The facts of one device, its customer's plan included."""
    plan = None
    if device.customer_id:
        plan = session.execute(
            select(_plans.c.name)
            .join(_customers, _customers.c.plan_id == _plans.c.id)
            .where(_customers.c.id == device.customer_id)
        ).scalar_one_or_none()
    return Facts(
        oui=oui,
        product_class=product_class,
        model=device.model or "",
        firmware=device.firmware or "",
        tags=frozenset(device.tags or ()),
        plan=plan,
        customer_id=device.customer_id,
    )


def applies(
    document: dict[str, Any], found: Facts, triggers: set[str], *, plan_known: bool = True
) -> bool:
    """Whether the profile runs for a device with these facts in a session with ``triggers``.

    With ``plan_known`` false a plan precondition counts as met (a first,
    cheap pass before the customer's plan is read).
    """
    if not document.get("enabled", True) or not triggers & set(document["triggers"]):
        return False
    pre = document.get("preconditions", {})
    for key, value in (
        ("oui", found.oui),
        ("product_class", found.product_class),
        ("model", found.model),
    ):
        if key in pre and value.upper() not in {v.upper() for v in pre[key]}:
            return False
    if not found.firmware.startswith(pre.get("firmware_prefix", "")):
        return False
    if not set(pre.get("tags", ())) <= found.tags:
        return False
    return not (plan_known and "plan" in pre and found.plan not in pre["plan"])


@dataclass(frozen=True)
class Current:
    """A profile's current version, as sessions read it from the cache."""

    name: str
    version: int
    document: dict[str, Any]


#: Profiles read per kernel: (when read, the change count then, the profiles by name).
_cache: WeakKeyDictionary[Kernel, tuple[float, int, tuple[Current, ...]]] = WeakKeyDictionary()
_changes = 0


def changed() -> None:
    """Note that profiles changed (once committed): this process reads them afresh."""
    global _changes
    _changes += 1


def cached(kernel: Kernel) -> tuple[Current, ...] | None:
    """:func:`current`'s profiles while its cache is fresh, else ``None`` (no query)."""
    ttl = float(kernel.plugin_settings(PLUGIN).get("profile_cache_seconds", DEFAULT_CACHE_SECONDS))
    found = _cache.get(kernel)
    if found is None or found[1] != _changes or time.monotonic() - found[0] >= ttl:
        return None
    return found[2]


def current(kernel: Kernel) -> tuple[Current, ...]:
    """Every profile by name, cached so that sessions do not read them each time.

    A change through this process's API shows at once; one made by another
    process (``--role acs`` beside an API process) within
    ``profile_cache_seconds`` (default 5).
    """
    ttl = float(kernel.plugin_settings(PLUGIN).get("profile_cache_seconds", DEFAULT_CACHE_SECONDS))
    now, changes = time.monotonic(), _changes
    cached = _cache.get(kernel)
    if cached is not None and cached[1] == changes and now - cached[0] < ttl:
        return cached[2]
    with kernel.db.session() as session:
        rows = session.execute(select(Profile).order_by(profile_rows.c.name)).scalars()
        profiles = tuple(Current(p.name, p.version, p.document) for p in rows)
    _cache[kernel] = (now, changes, profiles)
    return profiles


def matching(kernel: Kernel, found: Facts, triggers: set[str]) -> list[Current]:
    """The profiles that apply, by name: where two set one path, the later name wins."""
    return [p for p in current(kernel) if applies(p.document, found, triggers)]


def pppoe_credentials(kernel: Kernel, session: Session, customer_id: str) -> tuple[str, str] | None:
    """The customer's PPPoE username and password, or ``None`` when none are stored."""
    row = session.get(PppoeCredentials, customer_id)
    if row is None:
        return None
    return row.username, kernel.secrets.decrypt(row.password_encrypted)


def resolve(name: str, root: str) -> str | None:
    """The path ``name`` means on a device of data model ``root``; ``None`` if another root's."""
    if names.is_name(name):
        return names.path(name, root)
    return name if name.startswith(root) else None
