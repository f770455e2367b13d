"""The only API routes served without authentication (kept in step with docs/security.md).

Everything else needs a bearer token or a session. Device-facing listeners
(the CWMP endpoint, tokened firmware downloads) run on their own ports and
authenticate their own way; the web UI's static files are public too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rjchronos.http.routing import ApiRoute

PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/api/v1/auth/token"),
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/api/v1/docs"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
    }
)


def check_public(routes: Sequence[tuple[str, ApiRoute]]) -> None:
    """Refuse to start when a plugin declares a public route that is not listed here."""
    for plugin, route in routes:
        key = (route.method, route.full_path)
        if route.public and key not in PUBLIC_ROUTES:
            raise RuntimeError(
                f"plugin {plugin} declares {key[0]} {key[1]} public, but only "
                f"{sorted(PUBLIC_ROUTES)} may be: give it a permission"
            )
