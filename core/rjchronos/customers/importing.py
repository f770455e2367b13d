"""Bring customers in from a CSV file or a customer source, upserting by ``external_id``.

A record is a mapping with the column names of :data:`IMPORT_COLUMNS`.
Only the columns a file has are written: an empty cell clears that field
(except ``status``, which an empty cell leaves as it is, ``active`` for a
new customer), a missing column leaves it untouched.

Every record is checked before anything is written. Good records are then
applied in one transaction and bad ones reported with their row number and
reasons; in atomic mode a single bad record means nothing is applied.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from rjchronos.customers.models import Customer, Plan
from rjchronos.customers.service import (
    FieldError,
    apply_customer_fields,
    check_consistency,
    clean_customer_fields,
    existing_ids,
    parse_price,
    plans_by_name,
)
from rjchronos.db.types import utcnow
from rjchronos.inventory.models import Site

#: The columns an import understands (header names, case-insensitive), and what they hold.
IMPORT_COLUMNS: dict[str, str] = {
    "external_id": "the customer's id in the ERP: required, the key rows are upserted by",
    "name": "full name; required for a new customer",
    "document": "CPF or CNPJ, with or without punctuation; check digits are verified",
    "email": "e-mail address",
    "phone": "phone number for calls and SMS; Brazilian unless it starts with +",
    "whatsapp": "WhatsApp number; Brazilian unless it starts with +",
    "telegram": "Telegram @username or chat id",
    "preferred_channel": "email, phone, whatsapp or telegram; needs that contact",
    "status": "active, suspended or cancelled (empty: active when new, else unchanged)",
    "cancelled_at": "when the contract ended, ISO-8601 date or time with zone (default: now)",
    "plan": "plan name; a plan not yet known is created from the plan_* columns",
    "plan_download_mbps": "download speed of a new plan, Mbit/s (needed to create it)",
    "plan_upload_mbps": "upload speed of a new plan, Mbit/s (needed to create it)",
    "plan_sla_percent": "availability target of a new plan, percent",
    "plan_price": "monthly price of a new plan, such as 99.90",
    "site_id": "id of the installation site",
}
REQUIRED_COLUMNS = ("external_id",)
CONTACT_COLUMNS = ("email", "phone", "whatsapp", "telegram")
#: Rows one import may hold.
MAX_ROWS = 100_000


class ImportFileError(ValueError):
    """The file as a whole cannot be read; ``invalid_params`` name what is wrong."""

    def __init__(self, detail: str, invalid_params: list[dict[str, str]]) -> None:
        super().__init__(detail)
        self.invalid_params = invalid_params


@dataclass
class PlanSpec:
    """A plan a record names, with what is needed to create it if it does not exist."""

    name: str
    download_mbps: float | None = None
    upload_mbps: float | None = None
    sla_availability_percent: float | None = None
    price: Any = None


@dataclass
class _Row:
    row: int
    external_id: str
    fields: dict[str, Any]
    plan: PlanSpec | None
    errors: list[FieldError]


@dataclass
class ImportReport:
    """What an import did, row by row. No personal data: rows are named by number and ERP id."""

    created: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    plans_created: list[str] = field(default_factory=list)
    atomic: bool = False
    applied: bool = False

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "skipped": len(self.skipped),
            "rejected": len(self.rejected),
            "plans_created": len(self.plans_created),
        }

    def as_dict(self, *, limit: int | None = None) -> dict[str, Any]:
        """The report; with ``limit``, each row list holds at most that many entries."""
        lists = ("created", "updated", "unchanged", "skipped", "rejected")
        document: dict[str, Any] = {name: getattr(self, name)[:limit] for name in lists}
        document.update(
            counts=self.counts(),
            plans_created=self.plans_created,
            atomic=self.atomic,
            applied=self.applied,
        )
        return document


def read_csv(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """The records of a CSV document as ``(line number, {column: cell})``.

    The delimiter (comma, semicolon or tab, as spreadsheets in Brazil often
    write) is taken from the header line. The header line is line 1.

    :raises ImportFileError: an empty file, unknown or repeated columns, or no
        ``external_id`` column.
    """
    lines = text.lstrip("\ufeff")
    first_line = lines.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(lines), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise ImportFileError(
            "the file is empty; the first line names the columns",
            [{"name": "body", "reason": "empty file"}],
        ) from None
    problems = [
        {
            "name": f"column {name!r}",
            "reason": f"unknown column; known: {', '.join(IMPORT_COLUMNS)}",
        }
        for name in header
        if name not in IMPORT_COLUMNS
    ]
    problems += [
        {"name": f"column {name!r}", "reason": "appears twice"}
        for name in sorted({n for n in header if header.count(n) > 1})
    ]
    problems += [
        {"name": f"column {name!r}", "reason": "required column missing"}
        for name in REQUIRED_COLUMNS
        if name not in header
    ]
    if problems:
        raise ImportFileError(
            "the header line cannot be used: "
            + "; ".join(f"{p['name']}: {p['reason']}" for p in problems),
            problems,
        )
    return _records(reader, header)


def _records(reader: Any, header: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        record = {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(header)}
        if len(cells) > len(header):
            record["__extra__"] = str(len(cells) - len(header))
        yield reader.line_num, record


def _number(value: Any, name: str, errors: list[FieldError], *, maximum: float) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        errors.append(FieldError(name, "not a number"))
        return None
    if not 0 <= number <= maximum:
        errors.append(FieldError(name, f"a number from 0 to {maximum:g}"))
        return None
    return number


def record_fields(
    record: Mapping[str, Any],
) -> tuple[dict[str, Any], PlanSpec | None, list[FieldError]]:
    """The customer fields and plan a record sets, and its errors (named by column)."""
    errors: list[FieldError] = []
    if "__extra__" in record:
        errors.append(
            FieldError("row", f"{record['__extra__']} more cells than the header has columns")
        )
    data: dict[str, Any] = {}
    for key in ("external_id", "name", "document", "preferred_channel", "cancelled_at", "site_id"):
        if key in record:
            value = record[key]
            data[key] = None if value is None or str(value).strip() == "" else str(value).strip()
    if "status" in record and str(record["status"] or "").strip():
        data["status"] = record["status"]
    contacts = {c: record[c] for c in CONTACT_COLUMNS if c in record}
    if contacts:
        data["contacts"] = contacts
    fields, field_errors = clean_customer_fields(data)
    errors += [FieldError(e.field.removeprefix("contacts."), e.reason) for e in field_errors]

    plan: PlanSpec | None = None
    if "plan" in record:
        name = str(record["plan"] or "").strip()
        if name:
            plan = PlanSpec(
                name=name[:120],
                download_mbps=_number(
                    record.get("plan_download_mbps"),
                    "plan_download_mbps",
                    errors,
                    maximum=1_000_000,
                ),
                upload_mbps=_number(
                    record.get("plan_upload_mbps"), "plan_upload_mbps", errors, maximum=1_000_000
                ),
                sla_availability_percent=_number(
                    record.get("plan_sla_percent"), "plan_sla_percent", errors, maximum=100
                ),
            )
            if str(record.get("plan_price") or "").strip():
                try:
                    plan.price = parse_price(record["plan_price"])
                except ValueError as exc:
                    errors.append(FieldError("plan_price", str(exc)))
        else:
            fields["plan_id"] = None
    return fields, plan, errors


def import_records(
    session: Session,
    records: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    atomic: bool = False,
    retention_before: datetime | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Check every record, then apply the good ones in ``session`` (the caller commits).

    :param records: ``(row number, record)`` pairs.
    :param atomic: apply nothing when any record is rejected.
    :param retention_before: skip new customers cancelled before this time;
        retention would erase them at once, and a sync would bring them back.
    """
    now = now or utcnow()
    report = ImportReport(atomic=atomic)
    rows: list[_Row] = []
    first_row: dict[str, int] = {}
    for number, record in records:
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(
                f"an import holds at most {MAX_ROWS} rows; split the file",
                [{"name": "body", "reason": f"more than {MAX_ROWS} rows"}],
            )
        fields, plan, errors = record_fields(record)
        external_id = fields.get("external_id") or ""
        if not external_id and not any(e.field == "external_id" for e in errors):
            errors.insert(0, FieldError("external_id", "required: the key rows are upserted by"))
        elif external_id in first_row:
            errors.insert(0, FieldError("external_id", f"repeats row {first_row[external_id]}"))
        else:
            first_row[external_id] = number
        rows.append(_Row(number, external_id, fields, plan, errors))

    existing = _customers_by_external_id(session, [r.external_id for r in rows if not r.errors])
    plans = plans_by_name(session, [r.plan.name for r in rows if r.plan])
    sites = existing_ids(session, Site, [r.fields.get("site_id") or "" for r in rows])
    new_plans: dict[str, Plan] = {}
    accepted: list[tuple[_Row, Customer | None]] = []
    for row in rows:
        customer = existing.get(row.external_id)
        row.errors += _check_row(row, customer, sites, plans, new_plans, now)
        if row.errors:
            report.rejected.append(
                {
                    "row": row.row,
                    "external_id": row.external_id or None,
                    "errors": [e.as_dict() for e in row.errors],
                }
            )
            continue
        cancelled_at = row.fields.get("cancelled_at")
        if (
            customer is None
            and retention_before is not None
            and row.fields.get("status") == "cancelled"
            and cancelled_at is not None
            and cancelled_at < retention_before
        ):
            report.skipped.append(
                {
                    "row": row.row,
                    "external_id": row.external_id,
                    "reason": "cancelled longer ago than the retention period",
                }
            )
            continue
        accepted.append((row, customer))

    if atomic and report.rejected:
        return report
    for new_plan in new_plans.values():
        session.add(new_plan)
        report.plans_created.append(new_plan.name)
    session.flush()  # plans before the customers that reference them
    for row, customer in accepted:
        if row.plan:
            row.fields["plan_id"] = (plans.get(row.plan.name) or new_plans[row.plan.name]).id
        entry = {"row": row.row, "external_id": row.external_id}
        if customer is None:
            customer = Customer(name=row.fields.get("name", ""), created_at=now)
            apply_customer_fields(customer, row.fields, now)
            session.add(customer)
            report.created.append({**entry, "id": customer.id})
        elif apply_customer_fields(customer, row.fields, now):
            session.add(customer)
            report.updated.append({**entry, "id": customer.id})
        else:
            report.unchanged.append({**entry, "id": customer.id})
    report.applied = True
    return report


def _check_row(
    row: _Row,
    customer: Customer | None,
    sites: set[str],
    plans: dict[str, Plan],
    new_plans: dict[str, Plan],
    now: datetime,
) -> list[FieldError]:
    errors: list[FieldError] = []
    if not row.errors:  # cross-field rules only make sense on fields that are good alone
        errors += [
            FieldError(e.field.removeprefix("contacts."), e.reason)
            for e in check_consistency(customer, row.fields)
        ]
    site_id = row.fields.get("site_id")
    if site_id and site_id not in sites:
        errors.append(FieldError("site_id", f"no site with id {site_id!r}"))
    spec = row.plan
    if spec and spec.name not in plans and spec.name not in new_plans:
        if spec.download_mbps is None or spec.upload_mbps is None:
            errors.append(
                FieldError(
                    "plan",
                    "no plan of that name; give plan_download_mbps and plan_upload_mbps "
                    "to create it",
                )
            )
        elif not errors and not row.errors:
            new_plans[spec.name] = Plan(
                name=spec.name,
                download_mbps=spec.download_mbps,
                upload_mbps=spec.upload_mbps,
                sla_availability_percent=spec.sla_availability_percent,
                price=spec.price,
                created_at=now,
                updated_at=now,
            )
    return errors


def _customers_by_external_id(session: Session, external_ids: list[str]) -> dict[str, Customer]:
    wanted = sorted(set(external_ids))
    found: dict[str, Customer] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        statement = select(Customer).where(col(Customer.external_id).in_(chunk))
        for customer in session.exec(statement):
            found[customer.external_id or ""] = customer
    return found
