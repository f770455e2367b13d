"""Personal data under LGPD: masking for roles that don't need it, export, erasure, retention.

Masks keep enough to recognise a record on the phone with the customer
(the middle of a CPF, the first letter of a mailbox, the last four digits of
a number) and nothing that identifies them alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from rjchronos.customers.models import Customer
from rjchronos.db.types import utcnow

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

#: The name an erased customer keeps.
ERASED_NAME = "(erased)"
#: The audit log's actor for erasures the retention schedule makes.
RETENTION_ACTOR = "system:retention"
#: Customers erased per transaction by the retention job.
RETENTION_BATCH = 500


def mask_document(digits: str) -> str:
    """``***.982.247-**`` for a CPF, ``**.222.333/0001-**`` for a CNPJ."""
    if len(digits) == 11:
        return f"***.{digits[3:6]}.{digits[6:9]}-**"
    return f"**.{digits[2:5]}.{digits[5:8]}/{digits[8:12]}-**"


def mask_email(address: str) -> str:
    """``j***@example.com``."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(number: str) -> str:
    """``+55 11 *****-4321`` for Brazilian numbers, ``+*********4321`` for others."""
    digits = number.lstrip("+")
    if digits.startswith("55") and len(digits) in (12, 13):
        local = digits[4:]
        return f"+55 {digits[2:4]} {'*' * (len(local) - 4)}-{local[-4:]}"
    return "+" + "*" * max(len(digits) - 4, 0) + digits[-4:]


def mask_telegram(handle: str) -> str:
    """``@j***`` for a username, ``*****6789`` for a chat id."""
    if handle.startswith("@"):
        return handle[:2] + "***"
    return "*" * max(len(handle) - 4, 0) + handle[-4:]


def mask_contact(channel: str, address: str) -> str:
    """The masked form of one contact."""
    if channel == "email":
        return mask_email(address)
    if channel in ("phone", "whatsapp"):
        return mask_phone(address)
    if channel == "telegram":
        return mask_telegram(address)
    return "***"


def mask_contacts(contacts: Mapping[str, str]) -> dict[str, str]:
    return {channel: mask_contact(channel, address) for channel, address in contacts.items()}


def anonymise(customer: Customer, now: datetime | None = None) -> None:
    """Blank every personal field of ``customer`` for good, keeping its links.

    The ERP key goes too: with it the ERP could name the person again. The
    ERP's own copy is the ERP's to erase; a sync that still finds the person
    there brings them back as a new customer.
    """
    now = now or utcnow()
    customer.name = ERASED_NAME
    customer.name_key = ""
    customer.document = None
    customer.contacts = {}
    customer.preferred_channel = None
    customer.external_id = None
    customer.erased_at = now
    customer.updated_at = now


def retention_cutoff(kernel: Kernel, now: datetime | None = None) -> datetime:
    """Customers cancelled before this time are kept no longer."""
    return (now or utcnow()) - timedelta(days=kernel.settings.pii_retention_days)


def erase_expired(kernel: Kernel, now: datetime | None = None) -> list[str]:
    """Erase every customer cancelled longer ago than ``pii_retention_days``.

    Works in batches of :data:`RETENTION_BATCH`, each committed and audited
    (ids only, no personal data) on its own.

    :return: the ids erased.
    """
    now = now or utcnow()
    cutoff = retention_cutoff(kernel, now)
    expired = select(Customer).where(
        Customer.status == "cancelled",
        col(Customer.cancelled_at) < cutoff,
        col(Customer.erased_at).is_(None),
    )
    erased: list[str] = []
    while True:
        with kernel.db.session() as session:
            batch = session.exec(expired.order_by(Customer.id).limit(RETENTION_BATCH)).all()
            for customer in batch:
                anonymise(customer, now)
                session.add(customer)
        if not batch:
            return erased
        ids = [customer.id for customer in batch]
        erased += ids
        kernel.audit.record(
            actor=RETENTION_ACTOR,
            action="customers.erase",
            target="customers",
            params={
                "reason": "retention",
                "retention_days": kernel.settings.pii_retention_days,
                "customer_ids": ids,
            },
        )


#: Events exported at most; a customer's export is a document, not a data dump.
EXPORT_EVENT_LIMIT = 10_000


def export_links(session: Session, customer_id: str) -> dict[str, Any]:
    """The ids of the customer's devices and the events on their timelines (oldest first)."""
    from rjchronos.inventory.models import Device, DeviceEventRecord

    device_ids = list(
        session.exec(
            select(Device.id).where(Device.customer_id == customer_id).order_by(col(Device.id))
        )
    )
    events: list[DeviceEventRecord] = []
    if device_ids:
        events = list(
            session.exec(
                select(DeviceEventRecord)
                .where(col(DeviceEventRecord.device_id).in_(device_ids))
                .order_by(col(DeviceEventRecord.id))
                .limit(EXPORT_EVENT_LIMIT + 1)
            )
        )
    return {
        "devices": device_ids,
        "events": [_jsonable(event.model_dump()) for event in events[:EXPORT_EVENT_LIMIT]],
        "events_truncated": len(events) > EXPORT_EVENT_LIMIT,
    }


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
