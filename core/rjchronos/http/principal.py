"""Who is making a request and what they may do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Principal:
    """An authenticated user (or API token acting for one).

    ``grants`` maps a permission to the scopes it holds: ``None`` in the set
    means everywhere, otherwise scopes such as ``"region:Centro"`` or
    ``"olt:01J..."``.
    """

    user_id: int
    username: str
    roles: tuple[str, ...]
    grants: Mapping[str, frozenset[str | None]]
    via: Literal["token", "api_token", "session", "internal"] = "token"
    token_id: str | None = None
    csrf_token: str | None = field(default=None, repr=False)

    def has(self, permission: str, scope: str | None = None) -> bool:
        """Whether the principal holds ``permission`` everywhere, or in ``scope``."""
        scopes = self.grants.get(permission)
        if not scopes:
            return False
        return None in scopes or (scope is not None and scope in scopes)

    def scopes(self, permission: str) -> frozenset[str | None]:
        """The scopes ``permission`` is held in; contains ``None`` when unrestricted."""
        return self.grants.get(permission, frozenset())

    @property
    def actor(self) -> str:
        """How the audit log names this principal."""
        return f"user:{self.username}"
