"""Import every core model module so ``SQLModel.metadata`` knows all core tables."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData
from sqlmodel import SQLModel

CORE_MODEL_MODULES: tuple[str, ...] = (
    "rjchronos.security.models",
    "rjchronos.customers.models",
    "rjchronos.inventory.models",
    "rjchronos.telemetry.models",
    "rjchronos.jobs.models",
)


def core_metadata() -> MetaData:
    """The metadata holding every core table (plugins add theirs on import)."""
    for module in CORE_MODEL_MODULES:
        importlib.import_module(module)
    return SQLModel.metadata
