"""Persistence: the engine, sessions, ids and migrations."""

from rjchronos.db.engine import Database
from rjchronos.db.ids import new_id

__all__ = ["Database", "new_id"]
