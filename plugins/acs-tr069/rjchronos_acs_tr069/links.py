"""Link a CPE to its customer: by PPPoE username, by the ONU it sits under, or by MAC.

The ONU link (by GPON serial) is core's (``inventory.service``). A CPE
with no customer gets one here, first match wins: the customer whose PPPoE
credentials (``acs_pppoe_credentials``) carry the username the CPE
reports, the customer of its parent ONU, then the customer of another
device with the same MAC. An operator's link is never overridden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, select
from sqlmodel import Session

from rjchronos.inventory import service
from rjchronos.inventory.models import devices
from rjchronos_acs_tr069 import names
from rjchronos_acs_tr069.models import parameters
from rjchronos_acs_tr069.profiles import PppoeCredentials

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

ACTOR = "acs:link"
_credentials = cast(Table, PppoeCredentials.__table__)  # type: ignore[attr-defined]


def customer_for(session: Session, device_id: str) -> tuple[str, str] | None:
    """The customer a CPE belongs to and how that was found (``pppoe``, ``onu``, ``mac``)."""
    device = session.execute(
        select(devices.c.parent_id, devices.c.mac).where(devices.c.id == device_id)
    ).one_or_none()
    if device is None:
        return None
    usernames = [p for r in names.ROOTS if (p := names.path("pppoe.username", r)) is not None]
    username = session.execute(
        select(parameters.c.value).where(
            parameters.c.device_id == device_id, parameters.c.path.in_(usernames)
        )
    ).scalar()
    if username:
        found = session.execute(
            select(_credentials.c.customer_id).where(_credentials.c.username == username)
        ).scalar()
        if found:
            return found, "pppoe"
    if device.parent_id:
        found = session.execute(
            select(devices.c.customer_id).where(devices.c.id == device.parent_id)
        ).scalar()
        if found:
            return found, "onu"
    if device.mac:
        found = session.execute(
            select(devices.c.customer_id).where(
                devices.c.mac == device.mac,
                devices.c.id != device_id,
                devices.c.customer_id.is_not(None),
            )
        ).scalar()
        if found:
            return found, "mac"
    return None


def link_customer(kernel: Kernel, session: Session, device_id: str) -> str | None:
    """Link a CPE without a customer to the one :func:`customer_for` finds (its id) or ``None``."""
    found = customer_for(session, device_id)
    if found is None:
        return None
    customer_id, how = found
    service.link_customer(kernel, device_id, customer_id, actor=f"{ACTOR}:{how}", session=session)
    return customer_id
