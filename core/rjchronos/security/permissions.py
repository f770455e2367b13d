"""Permissions that plugins declare, and the built-in roles that hold them."""

from __future__ import annotations

from dataclasses import dataclass

#: Built-in roles; custom roles are composed from declared permissions.
BUILTIN_ROLES = ("admin", "operator", "viewer")


@dataclass(frozen=True)
class Permission:
    """A named right, such as ``devices.write``.

    :param default_roles: the built-in roles that hold it. ``admin`` holds
        every permission whatever this says.
    :param scopable: whether a grant may be limited to a region or an OLT.
    """

    name: str
    description: str
    default_roles: tuple[str, ...] = ("admin",)
    scopable: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.default_roles) - set(BUILTIN_ROLES)
        if unknown:
            raise ValueError(f"permission {self.name}: unknown built-in roles {sorted(unknown)}")
