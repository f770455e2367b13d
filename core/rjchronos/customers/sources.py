"""Customer sources: ERP or RADIUS systems that customers and plans are synced from.

A plugin declares a :class:`CustomerSource` through ``rjc_customer_sources``;
``POST /customers/sync/{source}`` runs it as a ``customers.sync`` job, which
reads every record the source yields and imports them like the rows of a CSV
file (see :data:`rjchronos.customers.importing.IMPORT_COLUMNS`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

#: The job type that syncs one source.
SYNC_JOB = "customers.sync"
#: Rows of each kind a sync job's result lists (the counts are always complete).
REPORT_LIMIT = 1000


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


class UnknownSource(LookupError):
    """No plugin declares a customer source of that name."""


def customer_sources(kernel: Kernel) -> dict[str, tuple[str, CustomerSource]]:
    """Every declared source by name, with the plugin that declares it.

    :raises RuntimeError: two plugins declare one name.
    """
    found: dict[str, tuple[str, CustomerSource]] = {}
    for plugin, sources in kernel.host.results_with_plugins("rjc_customer_sources", kernel=kernel):
        for source in sources:
            if source.name in found:
                first = found[source.name][0]
                raise RuntimeError(
                    f"customer source {source.name!r} is declared by both {first} and {plugin}"
                )
            found[source.name] = (plugin, source)
    return found


def find_source(kernel: Kernel, name: str) -> CustomerSource:
    """The source called ``name``.

    :raises UnknownSource: none is declared.
    """
    try:
        return customer_sources(kernel)[name][1]
    except KeyError:
        raise UnknownSource(name) from None


async def sync_source(kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
    """Job handler of ``customers.sync``: import every record of ``params["source"]``.

    Records are numbered from 1 in the order the source yields them; good
    ones are applied in one transaction, bad ones listed in the result.
    """
    from rjchronos.customers.importing import import_records
    from rjchronos.customers.lgpd import retention_cutoff

    name = str(params["source"])
    source = find_source(kernel, name)
    records: list[tuple[int, Mapping[str, Any]]] = []
    async for record in source.fetch(kernel):
        records.append((len(records) + 1, record))

    def apply() -> dict[str, Any]:
        with kernel.db.session() as session:
            report = import_records(session, records, retention_before=retention_cutoff(kernel))
        kernel.audit.record(
            actor=f"source:{name}",
            action="customers.sync",
            target=f"customer-source:{name}",
            params={"records": len(records), **report.counts()},
            result="ok",
        )
        return report.as_dict(limit=REPORT_LIMIT)

    return {"source": name, **await asyncio.to_thread(apply)}
