"""Customer sources: ERP or RADIUS systems that customers and plans are synced from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class CustomerFetcher(Protocol):
    """Yields customer records as mappings with the import's column names."""

    def __call__(self, kernel: Any) -> AsyncIterator[Mapping[str, Any]]: ...


@dataclass(frozen=True)
class CustomerSource:
    """A named system customers come from (IXC Soft, SGP, MK-Auth, Hubsoft, ...).

    ``fetch`` yields records with the same fields as a CSV import row;
    core upserts them by ``external_id``.
    """

    name: str
    fetch: CustomerFetcher
    title: str = ""
