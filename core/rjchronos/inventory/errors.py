"""What the inventory service raises; the API turns each into a problem document."""

from __future__ import annotations


class InventoryError(Exception):
    """Base of the inventory service's errors."""


class NotFound(InventoryError, LookupError):
    """No ``what`` with id ``key``."""

    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"no {what} with id {key!r}")
        self.what = what
        self.key = key


class InvalidField(InventoryError, ValueError):
    """A field's value cannot be used; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Conflict(InventoryError):
    """The change clashes with what is stored: a taken serial or identity, a loop, a site in use."""

    def __init__(self, field: str, reason: str, existing_id: str | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.existing_id = existing_id
