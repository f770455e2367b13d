"""The provisioning engine: converge a CPE to the profiles that match it, in few RPCs.

In a session whose Inform carries a profile's trigger, after the Inform is
answered and before queued tasks, the engine sends, in order and only when
needed: ``GetParameterNames`` (next level) of each keyed object table,
one ``GetParameterValues`` of the paths not reported in this session,
``GetParameterAttributes`` of the paths with desired notifications,
``AddObject`` for each keyed object missing, one ``SetParameterValues`` of
the values that differ and one ``SetParameterAttributes`` of the
notifications that differ. A device that already holds the desired state
gets no write at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rjchronos.catalog import apply_provisioning_extensions
from rjchronos.inventory.models import Device
from rjchronos.security.audit import mask_secrets
from rjchronos_acs_tr069 import devices, faults, messages, names, profiles
from rjchronos_acs_tr069.profiles import Facts
from rjchronos_acs_tr069.sessions import CwmpSession, queued_since
from rjchronos_acs_tr069.soap import AcsRequest, value_text, xsd_type
from rjchronos_acs_tr069.workers import run_sync

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

ACTOR = "acs:provisioning"


@dataclass
class KeyedObject:
    """An object that must exist: a table, the key that finds its instance, and its values."""

    table: str
    key: dict[str, Any]
    values: dict[str, Any]
    instances: list[str] | None = None
    instance: str | None = None
    created: bool = False

    @property
    def fields(self) -> dict[str, Any]:
        return {**self.key, **self.values}


@dataclass
class Run:
    """One session's provisioning: what is desired, what was read, what was changed."""

    triggers: set[str]
    oui: str
    product_class: str
    known: dict[str, str]
    step: str = "start"
    awaiting: str | None = None
    profiles: list[dict[str, Any]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    objects: list[KeyedObject] = field(default_factory=list)
    notifications: dict[str, int] = field(default_factory=dict)
    attributes: dict[str, int] = field(default_factory=dict)
    written: dict[str, Any] = field(default_factory=dict)
    attributes_written: dict[str, int] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The device as the Inform left it (plan unknown), and whether provisioning was requested.
    facts: Facts | None = None
    requested: bool = True
    #: GetParameterNames with NextLevel true (false for CPEs with ``no_gpn_next_level``).
    next_level: bool = True


def begin(
    session: CwmpSession,
    inform: messages.Inform,
    recorded: devices.Recorded,
    *,
    next_level: bool = True,
) -> None:
    """Remember what the Inform says, for the engine's turn later in the session.

    ``next_level`` false (quirk ``no_gpn_next_level``) lists tables with
    their whole subtree.
    """
    session.provisioning = Run(
        triggers=set(inform.event_codes) & set(profiles.TRIGGERS),
        oui=inform.oui,
        product_class=inform.product_class,
        known={p.name: p.value for p in inform.parameters},
        facts=Facts(
            oui=inform.oui,
            product_class=inform.product_class,
            model=recorded.model,
            firmware=recorded.firmware,
            tags=recorded.tags,
            plan=None,
            customer_id=recorded.customer_id,
        ),
        requested=recorded.provision_requested,
        next_level=next_level,
    )


def _worth_loading(
    kernel: Kernel, session: CwmpSession, run: Run, *, cached_only: bool = False
) -> bool | None:
    """Whether the database may hold work for this session: a request, or a profile that applies.

    Profiles come from :func:`profiles.current` (cached) and are checked
    against what the Inform reported, the customer's plan aside; most
    periodic sessions end here without a query. ``cached_only``: ``None``
    when the profiles would have to be read (the caller asks again in a
    worker thread).
    """
    if run.requested or queued_since(session.queue_mark) or run.facts is None:
        return True
    if not run.triggers:
        return False
    current = profiles.cached(kernel) if cached_only else profiles.current(kernel)
    if current is None:
        return None
    facts = run.facts
    return any(profiles.applies(p.document, facts, run.triggers, plan_known=False) for p in current)


def same(reported: str | None, desired: Any) -> bool:
    """Whether a value read from the CPE already is the desired one."""
    if reported is None:
        return False
    if isinstance(desired, bool):
        return reported.strip().lower() in (("1", "true") if desired else ("0", "false"))
    if isinstance(desired, int):
        try:
            return int(reported) == desired
        except ValueError:
            return False
    return reported == str(desired)


def _load(kernel: Kernel, session: CwmpSession, run: Run) -> Device | None:
    """Find the matching profiles and merge their desired state; the device, when any match."""
    with kernel.db.session() as db:
        requested = db.get(profiles.ProvisionRequest, session.device_id)
        if requested is not None:
            # Consumed now: a session that fails midway is not retried on its own.
            run.triggers.add("on_demand")
            db.delete(requested)
        device = db.get(Device, session.device_id) if run.triggers else None
        if device is None:
            return None
        found = profiles.facts(db, device, run.oui, run.product_class)
        matched = profiles.matching(kernel, found, run.triggers)
        if not matched:
            return None
        root = next((r for r in profiles.ROOTS if any(k.startswith(r) for k in run.known)), None)
        if root is None:
            run.notes.append("data model unknown: the Inform named no parameter")
            return None
        credentials = (
            profiles.pppoe_credentials(kernel, db, found.customer_id) if found.customer_id else None
        )
        for profile in matched:
            run.profiles.append({"name": profile.name, "version": profile.version})
            desired = profile.document["desired"]
            for name, value in desired.get("parameters", {}).items():
                path = profiles.resolve(name, root)
                if path is not None:
                    run.values[path] = value
            for name, value in desired.get("notifications", {}).items():
                path = profiles.resolve(name, root)
                if path is not None:
                    run.notifications[path] = value
            for entry in desired.get("objects", []):
                if entry["path"].startswith(root):
                    run.objects.append(
                        KeyedObject(
                            entry["path"], dict(entry["key"]), dict(entry.get("values", {}))
                        )
                    )
            if desired.get("pppoe_from_customer"):
                if credentials is None:
                    run.notes.append(f"{profile.name}: no PPPoE credentials for the customer")
                else:
                    for alias, value in zip(
                        ("pppoe.username", "pppoe.password"), credentials, strict=True
                    ):
                        run.values[str(names.path(alias, root))] = value
        db.expunge(device)
        return device


async def next_request(kernel: Kernel, session: CwmpSession) -> AcsRequest | None:
    """The engine's next RPC in this session, or ``None`` when it has nothing (more) to send."""
    run: Run | None = session.provisioning
    if run is None or run.step == "done":
        return None
    if run.step == "start":
        worth = _worth_loading(kernel, session, run, cached_only=True)
        if worth is None:
            worth = await run_sync(_worth_loading, kernel, session, run)
        device = await run_sync(_load, kernel, session, run) if worth else None
        if device is None:
            run.step = "done"
            return None
        run.values = await apply_provisioning_extensions(kernel, device, run.values)
        run.step = "names"
    request = _plan(run)
    if request is None:
        run.step = "done"
        if run.written or run.added or run.attributes_written:
            await run_sync(_record, kernel, session.device_id, run)
        return None
    run.awaiting = request.method
    return request


def _plan(run: Run) -> AcsRequest | None:
    """The next RPC that brings the device closer to the desired state (advancing ``step``)."""
    if run.step == "names":
        table = next((o.table for o in run.objects if o.instances is None), None)
        if table is not None:
            return AcsRequest("GetParameterNames", {"path": table, "next_level": run.next_level})
        run.step = "values"
    if run.step == "values":
        run.step = "attributes"
        wanted = [*run.values]
        for obj in run.objects:
            wanted += [f"{i}{f}" for i in obj.instances or () for f in obj.fields]
        unknown = [p for p in dict.fromkeys(wanted) if p not in run.known]
        if unknown:
            return AcsRequest("GetParameterValues", {"names": unknown})
    if run.step == "attributes":
        run.step = "add"
        if run.notifications:
            return AcsRequest("GetParameterAttributes", {"names": list(run.notifications)})
    if run.step == "add":
        for obj in run.objects:
            if obj.instance is None:
                obj.instance = next(
                    (
                        i
                        for i in obj.instances or ()
                        if all(same(run.known.get(i + k), v) for k, v in obj.key.items())
                    ),
                    None,
                )
            if obj.instance is None:
                return AcsRequest("AddObject", {"object": obj.table, "parameter_key": _key(run)})
        run.step = "set"
    if run.step == "set":
        run.step = "set_attributes"
        desired = dict(run.values)
        for obj in run.objects:
            desired |= {f"{obj.instance}{f}": v for f, v in obj.fields.items()}
            if obj.created:
                # A new instance holds defaults: write every field, read or not.
                for f in obj.fields:
                    run.known.pop(f"{obj.instance}{f}", None)
        run.written = {p: v for p, v in desired.items() if not same(run.known.get(p), v)}
        if run.written:
            return AcsRequest(
                "SetParameterValues", {"values": run.written, "parameter_key": _key(run)}
            )
    if run.step == "set_attributes":
        run.step = "finish"
        run.attributes_written = {
            p: n for p, n in run.notifications.items() if run.attributes.get(p) != n
        }
        if run.attributes_written:
            return AcsRequest(
                "SetParameterAttributes",
                {
                    "attributes": [
                        {"name": p, "notification": n} for p, n in run.attributes_written.items()
                    ]
                },
            )
    return None


def _key(run: Run) -> str:
    """A ParameterKey naming the profile versions applied (at most 32 characters)."""
    versions = ",".join(f"{p['name']}@{p['version']}" for p in run.profiles)
    return "prov-" + hashlib.sha256(versions.encode()).hexdigest()[:16]


def handle_answer(kernel: Kernel, session: CwmpSession, envelope: messages.Envelope) -> bool:
    """Take the CPE's answer to the engine's request; ``False`` when it is not the engine's."""
    run: Run | None = session.provisioning
    if run is None or run.awaiting is None:
        return False
    method, run.awaiting = run.awaiting, None
    body = envelope.body
    if envelope.method == "Fault":
        fault = messages.read_fault(body)
        run.step = "done"
        payload = {
            "profiles": run.profiles,
            "method": method,
            "fault": {"code": fault.code, "message": fault.message},
            "meaning": faults.meaning(fault.code),
            "parameters": [{"path": p, "code": c} for p, c, _ in fault.parameters],
        }
        with kernel.db.session() as db:
            kernel.events.emit(
                "cpe.provisioning_failed", session.device_id, payload, ACTOR, session=db
            )
        return True
    with kernel.db.session() as db:
        if method == "GetParameterNames":
            names = messages.parameter_names(body)
            devices.store_names(db, session.device_id, names)
            table = next(o for o in run.objects if o.instances is None).table
            instances = [n for n, _ in names if n.endswith(".") and n[len(table) :].count(".") == 1]
            for obj in run.objects:
                if obj.table == table:
                    obj.instances = instances
        elif method == "GetParameterValues":
            values = messages.parameter_values(messages.child(body, "ParameterList"))
            devices.store_values(db, session.device_id, values)
            run.known |= {v.name: v.value for v in values}
        elif method == "GetParameterAttributes":
            run.attributes = {
                str(a["name"]): int(str(a["notification"]))
                for a in messages.parameter_attributes(body)
            }
        elif method == "AddObject":
            number = messages.simple_fields(body).get("InstanceNumber", "")
            obj = next(o for o in run.objects if o.instance is None)
            for other in run.objects:
                if other.table == obj.table and other.instance is None and other.key == obj.key:
                    other.instance, other.created = f"{obj.table}{number}.", True
            run.added.append(f"{obj.table}{number}.")
        elif method == "SetParameterValues":
            types = devices.stored_types(db, session.device_id, run.written)
            devices.store_values(
                db,
                session.device_id,
                [
                    messages.ParameterValue(p, value_text(v), types.get(p) or xsd_type(v)[4:])
                    for p, v in run.written.items()
                ],
            )
    return True


def _record(kernel: Kernel, device_id: str, run: Run) -> None:
    """Put what the engine changed on the device's timeline."""
    payload = {
        "profiles": run.profiles,
        "set": mask_secrets({p: value_text(v) for p, v in run.written.items()}),
        "added": run.added,
        "notifications": run.attributes_written,
        "notes": run.notes,
    }
    with kernel.db.session() as db:
        kernel.events.emit("cpe.provisioned", device_id, payload, ACTOR, session=db)
