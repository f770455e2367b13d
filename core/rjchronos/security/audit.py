"""The append-only audit log, chained by hashes.

Each row stores ``hash = sha256(prev_hash + canonical JSON of the row)``;
the canonical JSON holds the sequence number, time, actor, action, target,
masked parameters, result and source address. Editing a row breaks its hash,
deleting one leaves a gap in the sequence and a broken link, and database
triggers reject UPDATE and DELETE outright. Appends are serialised (an
advisory transaction lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) so
the chain never forks.

Removing the newest rows leaves a shorter chain that is still consistent:
:meth:`AuditLog.check` reports the last sequence number and hash, which an
operator can keep elsewhere to compare with later.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, text

from rjchronos.db.types import utcnow
from rjchronos.security.models import AuditEntry

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

    from rjchronos.kernel import Kernel

GENESIS = "0" * 64
MASK = "********"
#: Parameter names whose values never reach the log, in any case and at any depth.
SECRET_NAME = re.compile(r"password|secret|token|key|credential|community", re.IGNORECASE)
#: pg_advisory_xact_lock key of audit appends ("rjcaudit").
_LOCK_KEY = int.from_bytes(b"rjcaudit", "big") & 0x7FFF_FFFF_FFFF_FFFF
_TABLE = AuditEntry.__table__  # type: ignore[attr-defined]
_CONTENT = ("seq", "time", "actor", "action", "target", "params", "result", "source_ip")


def mask_secrets(value: Any) -> Any:
    """``value`` with every secret-named key's value replaced by :data:`MASK`, recursively."""
    if isinstance(value, Mapping):
        return {
            str(key): MASK
            if SECRET_NAME.search(str(key)) and item is not None
            else mask_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_secrets(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def canonical_json(value: Any) -> str:
    """One spelling of a JSON value: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    """The hash of a row: SHA-256 of the previous hash and the row's canonical JSON."""
    return hashlib.sha256((prev_hash + canonical_json(content)).encode("utf-8")).hexdigest()


def _time_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _content(row: Row[Any] | Mapping[str, Any]) -> dict[str, Any]:
    values = row._mapping if hasattr(row, "_mapping") else row
    content = {name: values[name] for name in _CONTENT}
    content["time"] = _time_text(content["time"])
    return content


@dataclass(frozen=True)
class AuditRecord:
    """One entry to append with :meth:`AuditLog.record_many` (fields as :meth:`AuditLog.record`)."""

    actor: str
    action: str
    target: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    result: str = "ok"
    source_ip: str = ""


@dataclass(frozen=True)
class AuditProblem:
    """A row whose content or link does not match the chain."""

    seq: int
    problem: str

    def __str__(self) -> str:
        return f"row {self.seq}: {self.problem}"


@dataclass
class AuditCheck:
    """The result of walking the whole chain."""

    rows: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    problems: list[AuditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class AuditLog:
    """The audit log of one kernel (``kernel.audit``)."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def record(
        self,
        *,
        actor: str,
        action: str,
        target: str = "",
        params: Mapping[str, Any] | None = None,
        result: str = "ok",
        source_ip: str = "",
    ) -> int:
        """Append one entry in its own transaction; secret-named values in ``params`` are masked.

        Call it after the change it records is committed (outside your
        ``with kernel.db.session()`` block): on SQLite a transaction of yours
        that has written holds the only write lock, which this append waits for.

        :param actor: who did it (``user:<name>``, ``cli``, ``system``).
        :param action: what, as ``<resource>.<verb>`` (``users.create``).
        :param target: what it was done to (``user:12``, ``device:01J...``).
        :param result: ``ok``, ``denied``, or an error summary.
        :return: the entry's sequence number.
        """
        entry = AuditRecord(actor, action, target, params or {}, result, source_ip)
        return self.record_many([entry])[0]

    def record_many(self, entries: Sequence[AuditRecord]) -> list[int]:
        """Append ``entries`` in order, in one transaction (as :meth:`record` does one).

        For a change that touches many things at once (an alert storm, a bulk
        action): one lock and one commit instead of one per entry.
        :return: the entries' sequence numbers.
        """
        if not entries:
            return []
        engine = self.kernel.db.engine
        with engine.connect() as connection:
            if self.kernel.db.is_sqlite:
                # Take the write lock before reading the head of the chain.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            head = connection.execute(
                select(_TABLE.c.seq, _TABLE.c.hash).order_by(_TABLE.c.seq.desc()).limit(1)
            ).first()
            seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS)
            rows = []
            for entry in entries:
                seq += 1
                row = {
                    "seq": seq,
                    "time": utcnow(),
                    "actor": entry.actor,
                    "action": entry.action,
                    "target": entry.target,
                    "params": json.loads(canonical_json(mask_secrets(dict(entry.params)))),
                    "result": entry.result,
                    "source_ip": entry.source_ip,
                }
                row_hash = chain_hash(prev_hash, _content(row))
                rows.append({**row, "prev_hash": prev_hash, "hash": row_hash})
                prev_hash = row_hash
            connection.execute(insert(_TABLE), rows)
            connection.commit()
        return [row["seq"] for row in rows]

    def check(self, *, max_problems: int = 100) -> AuditCheck:
        """Walk the chain from the first row and report rows that do not match it."""
        report = AuditCheck()
        expected, prev_hash = 1, GENESIS
        with self.kernel.db.engine.connect() as connection:
            rows = connection.execution_options(yield_per=1000).execute(
                select(_TABLE).order_by(_TABLE.c.seq)
            )
            for row in rows:
                report.rows += 1
                if row.seq != expected:
                    missing = (
                        str(expected) if row.seq == expected + 1 else f"{expected}-{row.seq - 1}"
                    )
                    report.problems.append(
                        AuditProblem(
                            expected,
                            f"missing: row(s) {missing} were deleted (the sequence jumps from "
                            f"{expected - 1} to {row.seq})",
                        )
                    )
                elif row.prev_hash != prev_hash:
                    report.problems.append(
                        AuditProblem(
                            row.seq,
                            f"its link to row {row.seq - 1} is broken: row {row.seq - 1} "
                            "was replaced or its hash rewritten",
                        )
                    )
                if chain_hash(row.prev_hash, _content(row)) != row.hash:
                    report.problems.append(
                        AuditProblem(
                            row.seq, "its content does not match its hash: the row was edited"
                        )
                    )
                if len(report.problems) >= max_problems:
                    break
                expected, prev_hash = row.seq + 1, row.hash
                report.last_seq, report.last_hash = row.seq, row.hash
        return report

    def verify(self) -> list[AuditProblem]:
        """Every row whose content or chain does not match, first row first (empty when intact)."""
        return self.check().problems

    def tail(self, count: int = 20) -> list[dict[str, Any]]:
        """The newest ``count`` entries, oldest first."""
        with self.kernel.db.engine.connect() as connection:
            rows = connection.execute(
                select(_TABLE).order_by(_TABLE.c.seq.desc()).limit(count)
            ).all()
        return [entry_view(row._mapping) for row in reversed(rows)]


def entry_view(values: Any) -> dict[str, Any]:
    """An audit entry (a row mapping or an :class:`AuditEntry`) as the API and CLI show it."""
    get = values.__getitem__ if isinstance(values, Mapping) else values.__getattribute__
    return {
        "seq": get("seq"),
        "time": _time_text(get("time")),
        "actor": get("actor"),
        "action": get("action"),
        "target": get("target"),
        "params": get("params"),
        "result": get("result"),
        "source_ip": get("source_ip"),
        "hash": get("hash"),
    }
