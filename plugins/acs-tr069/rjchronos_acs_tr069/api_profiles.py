"""REST routes of provisioning: profiles, customers' PPPoE credentials, on-demand runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from rjchronos.customers.models import Customer
from rjchronos.db.types import utcnow
from rjchronos.http.problems import Problem
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.inventory import queries
from rjchronos.kernel import Kernel
from rjchronos_acs_tr069 import connreq
from rjchronos_acs_tr069.driver import Tr069Driver
from rjchronos_acs_tr069.profiles import (
    PROFILE_SCHEMA,
    PppoeCredentials,
    Profile,
    ProfileVersion,
    ProvisionRequest,
    changed,
    check_document,
    profile_rows,
    render,
    save,
    version_rows,
)
from rjchronos_acs_tr069.sessions import work_queued

PROFILES_READ = "acs.profiles.read"
PROFILES_WRITE = "acs.profiles.write"
PROVISION = "acs.provision"

_PPPOE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["username", "password"],
    "additionalProperties": False,
    "properties": {
        "username": {"type": "string", "minLength": 1, "maxLength": 255},
        "password": {"type": "string", "minLength": 1, "maxLength": 255},
    },
}


def _found(session: Any, profile_id: str) -> Profile:
    profile = session.get(Profile, profile_id)
    if profile is None:
        raise Problem(404, "Not found", f"no profile with id {profile_id!r}")
    return profile


def _store(call: ApiCall, profile: Profile, session: Any) -> Profile:
    check_document(call.body)
    try:
        save(session, profile, call.body, call.user.actor)
    except IntegrityError as exc:
        raise Problem(
            409,
            "Conflict",
            f"a profile named {call.body['name']!r} exists",
            invalid_params=[{"name": "body.name", "reason": "already used by another profile"}],
        ) from exc
    return profile


def list_profiles(call: ApiCall) -> dict[str, Any]:
    """Every profile, current version, by name."""
    with call.kernel.db.session() as session:
        rows = session.execute(select(Profile).order_by(profile_rows.c.name)).scalars()
        return {"items": [render(p) for p in rows]}


def create_profile(call: ApiCall) -> dict[str, Any]:
    """Store a new profile (version 1)."""
    with call.kernel.db.session() as session:
        profile = _store(call, Profile(name=call.body["name"], document={}), session)
        shown = render(profile)
    changed()
    call.audit("acs.profiles.create", f"profile:{shown['id']}", call.body)
    return shown


def get_profile(call: ApiCall) -> dict[str, Any]:
    """One profile, current version."""
    with call.kernel.db.session() as session:
        return render(_found(session, call.path["id"]))


def update_profile(call: ApiCall) -> dict[str, Any]:
    """Replace a profile's document: a new version."""
    with call.kernel.db.session() as session:
        profile = _store(call, _found(session, call.path["id"]), session)
        shown = render(profile)
    changed()
    call.audit(
        "acs.profiles.update", f"profile:{shown['id']}", {"version": shown["version"], **call.body}
    )
    return shown


def delete_profile(call: ApiCall) -> None:
    """Remove a profile and its history."""
    with call.kernel.db.session() as session:
        profile = _found(session, call.path["id"])
        name = profile.name
        session.execute(delete(ProfileVersion).where(version_rows.c.profile_id == profile.id))
        session.delete(profile)
    changed()
    call.audit("acs.profiles.delete", f"profile:{call.path['id']}", {"name": name})


def set_pppoe(call: ApiCall) -> dict[str, Any]:
    """Store a customer's PPPoE credentials (the password sealed), for profiles that ask."""
    customer_id = call.path["id"]
    sealed = call.kernel.secrets.encrypt(call.body["password"])
    with call.kernel.db.session() as session:
        if session.get(Customer, customer_id) is None:
            raise Problem(404, "Not found", f"no customer with id {customer_id!r}")
        row = session.get(PppoeCredentials, customer_id) or PppoeCredentials(
            customer_id=customer_id, username="", password_encrypted=""
        )
        row.username, row.password_encrypted, row.updated_at = (
            call.body["username"],
            sealed,
            utcnow(),
        )
        session.add(row)
    call.audit("acs.pppoe.set", f"customer:{customer_id}", call.body)
    return {"customer_id": customer_id, "username": call.body["username"]}


def _request_provisioning(call: ApiCall) -> None:
    device_id = call.path["id"]
    with call.kernel.db.session() as session:
        scopes = call.user.scopes(PROVISION) or [None]
        if not queries.device_visible(session, device_id, scopes):
            raise Problem(404, "Not found", f"no device with id {device_id!r}")
        row = session.get(ProvisionRequest, device_id) or ProvisionRequest(device_id=device_id)
        row.requested_by, row.requested_at = call.user.actor, utcnow()
        session.add(row)
    work_queued()
    call.audit("acs.provision", f"device:{device_id}")


async def request_provisioning(call: ApiCall) -> dict[str, Any]:
    """Run the device's ``on_demand`` profiles at its next session, asked for at once.

    ``connection_request`` says whether the CPE accepted the connection request
    (``accepted``), refused it or did not answer (``failed``), or could not be
    asked (``unavailable``); the request stays queued for its next session anyway.
    """
    await run_in_threadpool(_request_provisioning, call)
    device_id = call.path["id"]
    request = await run_in_threadpool(connreq.for_device, call.kernel, device_id)
    accepted = request is not None and await Tr069Driver().request_connection(request.as_device())
    outcome = "accepted" if accepted else ("failed" if request else "unavailable")
    return {"device_id": device_id, "connection_request": outcome}


def routes(kernel: Kernel) -> list[ApiRoute]:
    tags = ("acs",)
    one = "/profiles/{id}"
    return [
        ApiRoute(
            "GET",
            "/profiles",
            list_profiles,
            PROFILES_READ,
            summary="Provisioning profiles",
            tags=tags,
        ),
        ApiRoute(
            "POST",
            "/profiles",
            create_profile,
            PROFILES_WRITE,
            summary="Create a provisioning profile",
            tags=tags,
            body_schema=PROFILE_SCHEMA,
            status_code=201,
        ),
        ApiRoute("GET", one, get_profile, PROFILES_READ, summary="One profile", tags=tags),
        ApiRoute(
            "PUT",
            one,
            update_profile,
            PROFILES_WRITE,
            summary="Replace a profile (a new version)",
            tags=tags,
            body_schema=PROFILE_SCHEMA,
        ),
        ApiRoute(
            "DELETE",
            one,
            delete_profile,
            PROFILES_WRITE,
            summary="Delete a profile",
            tags=tags,
            status_code=204,
        ),
        ApiRoute(
            "PUT",
            "/customers/{id}/pppoe",
            set_pppoe,
            PROFILES_WRITE,
            summary="Set the customer's PPPoE credentials, for profiles that provision them",
            tags=tags,
            body_schema=_PPPOE_SCHEMA,
        ),
        ApiRoute(
            "POST",
            "/devices/{id}/provision",
            request_provisioning,
            PROVISION,
            summary="Run the CPE's on-demand profiles (now, or at its next session)",
            tags=tags,
            status_code=202,
        ),
    ]
