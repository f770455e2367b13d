"""Customer and plan rules shared by the API, the CSV import and source syncs.

Input is checked field by field; every problem is reported as a
:class:`FieldError` naming the field, and nothing is written unless all of a
record's fields are good.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from rjchronos.customers.contacts import CHANNELS, normalise_contacts
from rjchronos.customers.documents import (
    InvalidDocument,
    document_kind,
    format_document,
    normalise_document,
)
from rjchronos.customers.lgpd import mask_contacts, mask_document
from rjchronos.customers.models import CUSTOMER_STATUSES, Customer, Plan
from rjchronos.db.types import utcnow
from rjchronos.inventory.models import Site

#: Fields of a customer that hold personal data (never written to the audit log).
PERSONAL_FIELDS = frozenset({"name", "document", "contacts", "preferred_channel"})


@dataclass(frozen=True)
class FieldError:
    """One field of one record that cannot be used, and why."""

    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


def fold_name(name: str) -> str:
    """The search key of a name: lower case without accents (``João`` -> ``joao``)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def parse_time(text: str) -> datetime:
    """An ISO-8601 time with a zone (``2024-05-01T12:00:00Z``) or a date (midnight UTC)."""
    from datetime import UTC, date

    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not an ISO-8601 time such as 2024-05-01T12:00:00Z") from None
    if parsed.tzinfo is None:
        raise ValueError("give the time zone, as in 2024-05-01T12:00:00-03:00 or ...Z")
    return parsed.astimezone(UTC)


def clean_customer_fields(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Check and normalise the customer fields present in ``data``.

    Keys are model fields; ``contacts`` is a ``{channel: address}`` map in
    which ``None`` removes a channel. Ids of plans and sites are checked by
    :func:`check_references`, since that needs the database.
    """
    fields: dict[str, Any] = {}
    errors: list[FieldError] = []
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name:
            errors.append(FieldError("name", "must not be empty"))
        elif len(name) > 200:
            errors.append(FieldError("name", "at most 200 characters"))
        fields["name"] = name
    if "external_id" in data:
        external_id = str(data["external_id"]).strip() if data["external_id"] is not None else None
        if external_id is not None and not 1 <= len(external_id) <= 64:
            errors.append(FieldError("external_id", "1 to 64 characters"))
        fields["external_id"] = external_id or None
    if "document" in data:
        document = data["document"]
        if document is None or not str(document).strip():
            fields["document"] = None
        else:
            try:
                fields["document"] = normalise_document(str(document))[1]
            except InvalidDocument as exc:
                errors.append(FieldError("document", str(exc)))
    if "contacts" in data:
        given: Mapping[str, Any] = data["contacts"] or {}
        unknown = set(given) - set(CHANNELS)
        for channel in sorted(unknown):
            errors.append(
                FieldError(f"contacts.{channel}", f"unknown channel; use {', '.join(CHANNELS)}")
            )
        present: dict[str, Any] = {k: v for k, v in given.items() if k in CHANNELS}
        clean, contact_errors = normalise_contacts(present)
        errors.extend(FieldError(f"contacts.{ch}", reason) for ch, reason in contact_errors.items())
        removed = {k: None for k, v in present.items() if v is None or not str(v).strip()}
        fields["contacts"] = {**clean, **removed}
    if "preferred_channel" in data:
        preferred = data["preferred_channel"] or None
        if preferred is not None and preferred not in CHANNELS:
            errors.append(FieldError("preferred_channel", f"one of {', '.join(CHANNELS)}"))
        fields["preferred_channel"] = preferred
    if "status" in data:
        status = str(data["status"] or "").strip().lower()
        if status not in CUSTOMER_STATUSES:
            errors.append(FieldError("status", f"one of {', '.join(CUSTOMER_STATUSES)}"))
        fields["status"] = status
    if data.get("cancelled_at") is not None:
        raw = data["cancelled_at"]
        try:
            fields["cancelled_at"] = raw if isinstance(raw, datetime) else parse_time(str(raw))
        except ValueError as exc:
            errors.append(FieldError("cancelled_at", str(exc)))
    for key in ("plan_id", "site_id"):
        if key in data:
            fields[key] = data[key] or None
    return fields, errors


def apply_customer_fields(
    customer: Customer, fields: Mapping[str, Any], now: datetime | None = None
) -> bool:
    """Write clean ``fields`` into ``customer``; whether anything changed.

    Contacts merge (``None`` removes a channel). Cancelling records
    ``cancelled_at`` (now unless given); leaving ``cancelled`` clears it.
    """
    now = now or utcnow()
    before = _snapshot(customer)
    for key, value in fields.items():
        if key == "contacts":
            merged = {**customer.contacts, **value}
            customer.contacts = {k: v for k, v in merged.items() if v is not None}
        elif key != "cancelled_at":
            setattr(customer, key, value)
    customer.name_key = fold_name(customer.name)
    if customer.status == "cancelled":
        customer.cancelled_at = fields.get("cancelled_at") or customer.cancelled_at or now
    else:
        customer.cancelled_at = None
    changed = _snapshot(customer) != before
    if changed:
        customer.updated_at = now
    return changed


def _snapshot(customer: Customer) -> tuple[Any, ...]:
    return tuple(
        getattr(customer, key)
        for key in (
            "external_id",
            "name",
            "document",
            "contacts",
            "preferred_channel",
            "plan_id",
            "site_id",
            "status",
            "cancelled_at",
        )
    )


def check_consistency(customer: Customer | None, fields: Mapping[str, Any]) -> list[FieldError]:
    """Rules across fields, on the customer as it would be after ``fields`` (nothing is changed)."""
    contacts = dict(customer.contacts) if customer else {}
    contacts.update(fields.get("contacts", {}))
    channel = fields.get("preferred_channel", customer.preferred_channel if customer else None)
    if channel and contacts.get(channel) is None:
        return [FieldError("preferred_channel", f"the customer has no {channel} contact")]
    if customer is None and not fields.get("name"):
        return [FieldError("name", "a new customer needs a name")]
    return []


def existing_ids(session: Session, model: type[Plan] | type[Site], ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` name a row of ``model``."""
    wanted = sorted({i for i in ids if i})
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(session.exec(select(model.id).where(col(model.id).in_(chunk))))
    return found


def check_references(session: Session, fields: Mapping[str, Any]) -> list[FieldError]:
    """Errors for a ``plan_id`` or ``site_id`` that names nothing."""
    errors = []
    for key, model, what in (("plan_id", Plan, "plan"), ("site_id", Site, "site")):
        value = fields.get(key)
        if value and not existing_ids(session, model, [value]):
            errors.append(FieldError(key, f"no {what} with id {value!r}"))
    return errors


def audit_params(fields: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a change: personal fields by name only."""
    params: dict[str, Any] = {"fields": sorted(fields)}
    params.update(
        {k: v for k, v in fields.items() if k not in PERSONAL_FIELDS and k != "cancelled_at"}
    )
    return params


def render_customer(customer: Customer, *, reveal: bool) -> dict[str, Any]:
    """The API form of a customer; documents and contacts masked unless ``reveal``."""
    document = None
    if customer.document:
        document = (
            format_document(customer.document) if reveal else mask_document(customer.document)
        )
    return {
        "id": customer.id,
        "external_id": customer.external_id,
        "name": customer.name,
        "document": document,
        "document_kind": document_kind(customer.document) if customer.document else None,
        "contacts": dict(customer.contacts) if reveal else mask_contacts(customer.contacts),
        "preferred_channel": customer.preferred_channel,
        "plan_id": customer.plan_id,
        "site_id": customer.site_id,
        "status": customer.status,
        "created_at": customer.created_at.isoformat(),
        "updated_at": customer.updated_at.isoformat(),
        "cancelled_at": customer.cancelled_at.isoformat() if customer.cancelled_at else None,
        "erased_at": customer.erased_at.isoformat() if customer.erased_at else None,
        "personal_data": "shown" if reveal else "masked",
    }


def render_plan(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "name": plan.name,
        "download_mbps": plan.download_mbps,
        "upload_mbps": plan.upload_mbps,
        "sla_availability_percent": plan.sla_availability_percent,
        "price": f"{plan.price:.2f}" if plan.price is not None else None,
        "created_at": plan.created_at.isoformat(),
        "updated_at": plan.updated_at.isoformat(),
    }


def parse_price(value: Any) -> Decimal:
    """A price from a number or a string such as ``"99.90"`` or ``"99,90"``."""
    from decimal import InvalidOperation

    text = str(value).strip().replace(",", ".")
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise ValueError("not a price such as 99.90") from None
    if not price.is_finite() or price < 0 or price >= Decimal("1e10"):
        raise ValueError("a price is a number from 0 up to 9999999999.99")
    return price.quantize(Decimal("0.01"))


def plans_by_name(session: Session, names: Iterable[str]) -> dict[str, Plan]:
    """Existing plans among ``names``, by name."""
    wanted = sorted(set(names))
    found: dict[str, Plan] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for plan in session.exec(select(Plan).where(col(Plan.name).in_(chunk))):
            found[plan.name] = plan
    return found
