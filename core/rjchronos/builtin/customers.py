"""Built-in plugin: customers and plans, their CSV import and ERP syncs, and LGPD duties.

Documents and contacts are masked in every answer unless the caller holds
``customers.pii``. The audit log names changed personal fields but never
keeps their values, so an erasure leaves no copy behind.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from rjchronos import hookimpl
from rjchronos.customers.contacts import CHANNELS
from rjchronos.customers.importing import IMPORT_COLUMNS, ImportFileError, import_records, read_csv
from rjchronos.customers.lgpd import anonymise, erase_expired, export_links, retention_cutoff
from rjchronos.customers.models import CUSTOMER_STATUSES, Customer, Plan
from rjchronos.customers.service import (
    FieldError,
    apply_customer_fields,
    audit_params,
    check_consistency,
    check_references,
    clean_customer_fields,
    fold_name,
    parse_price,
    render_customer,
    render_plan,
)
from rjchronos.customers.sources import (
    SYNC_JOB,
    UnknownSource,
    customer_sources,
    find_source,
    sync_source,
)
from rjchronos.db.types import utcnow
from rjchronos.http.pagination import PAGE_QUERY, paginate
from rjchronos.http.problems import Problem, not_found
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.jobs.spec import Schedule, TaskHandler
from rjchronos.security.permissions import Permission

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

RETENTION_JOB = "customers.retention"
#: Largest CSV body an import accepts.
MAX_IMPORT_BYTES = 32 << 20
PII = "customers.pii"

_NULLABLE_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 26}
CUSTOMER_PROPERTIES: dict[str, Any] = {
    "external_id": {
        "type": ["string", "null"],
        "minLength": 1,
        "maxLength": 64,
        "description": "the customer's id in the ERP",
    },
    "name": {"type": "string", "minLength": 1, "maxLength": 200},
    "document": {"type": ["string", "null"], "maxLength": 32, "description": "CPF or CNPJ"},
    "contacts": {
        "type": "object",
        "description": "one address per channel; null removes it",
        "properties": {
            channel: {"type": ["string", "null"], "maxLength": 254} for channel in CHANNELS
        },
        "additionalProperties": False,
    },
    "preferred_channel": {"enum": [*CHANNELS, None]},
    "plan_id": _NULLABLE_ID,
    "site_id": _NULLABLE_ID,
    "status": {"enum": list(CUSTOMER_STATUSES)},
    "cancelled_at": {"type": ["string", "null"], "description": "ISO-8601 with zone; default now"},
}
CUSTOMER_CREATE = {
    "type": "object",
    "properties": CUSTOMER_PROPERTIES,
    "required": ["name"],
    "additionalProperties": False,
}
CUSTOMER_UPDATE = {
    "type": "object",
    "properties": CUSTOMER_PROPERTIES,
    "minProperties": 1,
    "additionalProperties": False,
}

PLAN_PROPERTIES: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 120},
    "download_mbps": {"type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000},
    "upload_mbps": {"type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000},
    "sla_availability_percent": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
    "price": {"type": ["number", "string", "null"], "description": "monthly price, such as 99.90"},
}
PLAN_CREATE = {
    "type": "object",
    "properties": PLAN_PROPERTIES,
    "required": ["name", "download_mbps", "upload_mbps"],
    "additionalProperties": False,
}
PLAN_UPDATE = {
    "type": "object",
    "properties": PLAN_PROPERTIES,
    "minProperties": 1,
    "additionalProperties": False,
}


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission(
            "customers.read",
            "List and read customers (personal data masked)",
            ("admin", "operator", "viewer"),
        ),
        Permission("customers.write", "Create, change and delete customers", ("admin", "operator")),
        Permission(
            PII, "See customers' documents and contacts unmasked, export and erase them", ("admin",)
        ),
        Permission(
            "customers.import",
            "Import customers from CSV and sync them from ERP sources",
            ("admin", "operator"),
        ),
        Permission("plans.read", "List and read service plans", ("admin", "operator", "viewer")),
        Permission("plans.write", "Create, change and delete service plans", ("admin", "operator")),
    ]


@hookimpl
def rjc_cli_commands() -> list[click.Command]:
    from rjchronos.customers.commands import command

    return [command]


@hookimpl
def rjc_task_handlers(kernel: Kernel) -> list[TaskHandler]:
    return [
        TaskHandler(SYNC_JOB, sync_source, max_attempts=3, timeout=3600, queue="default"),
        TaskHandler(RETENTION_JOB, run_retention, max_attempts=3, timeout=3600, queue="default"),
    ]


@hookimpl
def rjc_schedules(kernel: Kernel) -> list[Schedule]:
    return [
        Schedule(
            "customers.retention", RETENTION_JOB, every=timedelta(days=1), jitter=timedelta(hours=1)
        )
    ]


def run_retention(kernel: Kernel, params: Any) -> dict[str, Any]:
    """Job handler: erase customers cancelled longer ago than ``pii_retention_days``."""
    erased = erase_expired(kernel)
    return {"erased": len(erased), "customer_ids": erased}


# -- customers --------------------------------------------------------------


def _reveal(call: ApiCall) -> bool:
    return call.user.has(PII)


def _invalid(errors: list[FieldError], prefix: str = "body") -> Problem:
    params = [{"name": f"{prefix}.{e.field}", "reason": e.reason} for e in errors]
    return Problem(
        422,
        "Invalid body",
        "; ".join(f"{p['name']}: {p['reason']}" for p in params),
        invalid_params=params,
    )


def _get_customer(session: Session, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise not_found("customer", customer_id)
    return customer


def _external_id_taken(
    session: Session, external_id: str | None, customer_id: str | None
) -> list[FieldError]:
    if not external_id:
        return []
    other = session.exec(select(Customer.id).where(Customer.external_id == external_id)).first()
    if other is not None and other != customer_id:
        return [FieldError("external_id", f"already used by customer {other}")]
    return []


def list_customers(call: ApiCall) -> dict[str, Any]:
    query = call.query
    statement = select(Customer)
    if query.get("q"):
        prefix = fold_name(query["q"])
        statement = statement.where(col(Customer.name_key).startswith(prefix, autoescape=True))
    if query.get("plan"):
        statement = statement.where(Customer.plan_id == query["plan"])
    if query.get("status"):
        statement = statement.where(Customer.status == query["status"])
    if query.get("external_id"):
        statement = statement.where(Customer.external_id == query["external_id"])
    if query.get("site"):
        statement = statement.where(Customer.site_id == query["site"])
    reveal = _reveal(call)
    with call.kernel.db.session() as session:
        return paginate(
            session, statement, Customer.id, query, lambda c: render_customer(c, reveal=reveal)
        )


def _conflict() -> Problem:
    # The checks above ran, so a concurrent change got there first.
    return Problem(
        409,
        "Conflict",
        "another change to this customer's external_id or links happened at the same time; "
        "read the customer again and retry",
    )


def create_customer(call: ApiCall) -> dict[str, Any]:
    try:
        return _create_customer(call)
    except IntegrityError as exc:
        raise _conflict() from exc


def _create_customer(call: ApiCall) -> dict[str, Any]:
    fields, errors = clean_customer_fields(call.body)
    with call.kernel.db.session() as session:
        errors += check_references(session, fields) + check_consistency(None, fields)
        errors += _external_id_taken(session, fields.get("external_id"), None)
        if errors:
            raise _invalid(errors)
        now = utcnow()
        customer = Customer(name=fields["name"], created_at=now)
        apply_customer_fields(customer, fields, now)
        session.add(customer)
        answer = render_customer(customer, reveal=_reveal(call))
    call.audit("customers.create", f"customer:{customer.id}", audit_params(fields))
    return answer


def get_customer(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        return render_customer(_get_customer(session, call.path["id"]), reveal=_reveal(call))


def update_customer(call: ApiCall) -> dict[str, Any]:
    try:
        return _update_customer(call)
    except IntegrityError as exc:
        raise _conflict() from exc


def _update_customer(call: ApiCall) -> dict[str, Any]:
    fields, errors = clean_customer_fields(call.body)
    with call.kernel.db.session() as session:
        customer = _get_customer(session, call.path["id"])
        if customer.erased_at is not None:
            raise Problem(
                409,
                "Customer erased",
                f"customer {customer.id} was erased on {customer.erased_at.isoformat()} "
                "and can no longer be changed",
            )
        errors += check_references(session, fields) + check_consistency(customer, fields)
        errors += _external_id_taken(session, fields.get("external_id"), customer.id)
        if errors:
            raise _invalid(errors)
        changed = apply_customer_fields(customer, fields)
        session.add(customer)
        answer = render_customer(customer, reveal=_reveal(call))
    if changed:
        call.audit("customers.update", f"customer:{customer.id}", audit_params(fields))
    return answer


def delete_customer(call: ApiCall) -> None:
    customer_id = call.path["id"]
    try:
        with call.kernel.db.session() as session:
            session.delete(_get_customer(session, customer_id))
    except IntegrityError as exc:
        raise Problem(
            409,
            "Customer in use",
            f"customer {customer_id} is still referenced by other records; "
            "erase the customer's personal data instead",
        ) from exc
    call.audit("customers.delete", f"customer:{customer_id}")


def export_customer(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        customer = _get_customer(session, call.path["id"])
        plan = session.get(Plan, customer.plan_id) if customer.plan_id else None
        document = {
            "exported_at": utcnow().isoformat(),
            "customer": {
                **render_customer(customer, reveal=True),
                "document_digits": customer.document,
            },
            "plan": render_plan(plan) if plan else None,
            **export_links(session, customer.id),
        }
    call.audit("customers.export", f"customer:{customer.id}")
    return document


def erase_customer(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        customer = _get_customer(session, call.path["id"])
        if customer.erased_at is not None:
            raise Problem(
                409,
                "Already erased",
                f"customer {customer.id} was erased on {customer.erased_at.isoformat()}",
            )
        anonymise(customer)
        session.add(customer)
        answer = render_customer(customer, reveal=True)
    call.audit("customers.erase", f"customer:{customer.id}", {"reason": "request"})
    return answer


async def import_customers(call: ApiCall) -> Response:
    request = call.request
    content_type = request.headers.get("content-type", "")
    media_type, _, options = content_type.partition(";")
    if media_type.strip().lower() not in ("text/csv", "application/csv"):
        raise Problem(415, "Unsupported media type", "send the file as text/csv")
    charset = "utf-8"
    for option in options.split(";"):
        key, _, value = option.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_IMPORT_BYTES:
            raise Problem(
                413,
                "Payload too large",
                f"an import holds at most {MAX_IMPORT_BYTES} bytes; split the file",
            )
    try:
        text = bytes(raw).decode(charset)
    except (LookupError, UnicodeDecodeError) as exc:
        raise Problem(
            422,
            "Invalid body",
            f"the file is not {charset} text; name its encoding, as in "
            "'Content-Type: text/csv; charset=windows-1252'",
            invalid_params=[{"name": "body", "reason": f"not {charset}: {exc}"}],
        ) from exc
    atomic = bool(call.query.get("atomic"))
    return await run_in_threadpool(_import_text, call, text, atomic)


def _import_text(call: ApiCall, text: str, atomic: bool) -> Response:
    kernel = call.kernel
    try:
        with kernel.db.session() as session:
            report = import_records(
                session, read_csv(text), atomic=atomic, retention_before=retention_cutoff(kernel)
            )
    except ImportFileError as exc:
        raise Problem(422, "Invalid CSV file", str(exc), invalid_params=exc.invalid_params) from exc
    except IntegrityError as exc:
        raise Problem(
            409,
            "Import conflict",
            "another change to these customers happened during the import; nothing was "
            "applied, send the file again",
        ) from exc
    body = report.as_dict()
    call.audit(
        "customers.import",
        "customers",
        {"atomic": atomic, **report.counts()},
        result="ok" if report.applied else "rejected",
    )
    if not report.applied:
        problem = Problem(
            422,
            "Import rejected",
            f"{len(report.rejected)} rows cannot be imported; with atomic=true nothing was applied",
            invalid_params=[
                {"name": f"row {r['row']}.{e['field']}", "reason": e["reason"]}
                for r in report.rejected
                for e in r["errors"]
            ][:1000],
            report=body,
        )
        return problem.response()
    return JSONResponse(body)


def list_sources(call: ApiCall) -> dict[str, Any]:
    return {
        "items": [
            {"name": name, "title": source.title or name, "plugin": plugin}
            for name, (plugin, source) in sorted(customer_sources(call.kernel).items())
        ]
    }


def sync_customers(call: ApiCall) -> dict[str, Any]:
    name = call.path["source"]
    try:
        find_source(call.kernel, name)
    except UnknownSource:
        raise Problem(
            404,
            "Not found",
            f"no customer source called {name!r}; GET /api/v1/customers/sources lists them",
        ) from None
    call.audit("customers.sync", f"customer-source:{name}")
    job_id = call.kernel.jobs.enqueue(SYNC_JOB, {"source": name}, dedup_key=f"{SYNC_JOB}:{name}")
    return {"job_id": job_id, "source": name}


# -- plans --------------------------------------------------------------------


def _plan_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields = dict(body)
    if "name" in fields:
        fields["name"] = fields["name"].strip()
        if not fields["name"]:
            raise _invalid([FieldError("name", "must not be empty")])
    if fields.get("price") is not None:
        try:
            fields["price"] = parse_price(fields["price"])
        except ValueError as exc:
            raise _invalid([FieldError("price", str(exc))]) from None
    return fields


def _name_taken(session: Session, name: str | None, plan_id: str | None) -> None:
    if name is None:
        return
    other = session.exec(select(Plan.id).where(Plan.name == name)).first()
    if other is not None and other != plan_id:
        raise _invalid([FieldError("name", f"already the name of plan {other}")])


def _get_plan(session: Session, plan_id: str) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise not_found("plan", plan_id)
    return plan


def _plan_audit(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if k == "price" and v is not None else v for k, v in fields.items()}


def list_plans(call: ApiCall) -> dict[str, Any]:
    statement = select(Plan)
    if call.query.get("q"):
        prefix = call.query["q"].lower()
        statement = statement.where(func.lower(Plan.name).startswith(prefix, autoescape=True))
    with call.kernel.db.session() as session:
        return paginate(session, statement, Plan.id, call.query, render_plan)


def create_plan(call: ApiCall) -> dict[str, Any]:
    fields = _plan_fields(call.body)
    with call.kernel.db.session() as session:
        _name_taken(session, fields["name"], None)
        plan = Plan(**fields)
        session.add(plan)
        answer = render_plan(plan)
    call.audit("plans.create", f"plan:{plan.id}", _plan_audit(fields))
    return answer


def get_plan(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        return render_plan(_get_plan(session, call.path["id"]))


def update_plan(call: ApiCall) -> dict[str, Any]:
    fields = _plan_fields(call.body)
    with call.kernel.db.session() as session:
        plan = _get_plan(session, call.path["id"])
        _name_taken(session, fields.get("name"), plan.id)
        for key, value in fields.items():
            setattr(plan, key, value)
        plan.updated_at = utcnow()
        session.add(plan)
        answer = render_plan(plan)
    call.audit("plans.update", f"plan:{plan.id}", _plan_audit(fields))
    return answer


def delete_plan(call: ApiCall) -> None:
    plan_id = call.path["id"]
    with call.kernel.db.session() as session:
        plan = _get_plan(session, plan_id)
        subscribers = session.exec(
            select(func.count()).select_from(Customer).where(Customer.plan_id == plan_id)
        ).one()
        if subscribers:
            raise Problem(
                409,
                "Plan in use",
                f"plan {plan_id} has {subscribers} customers; move them to another plan first",
            )
        session.delete(plan)
    call.audit("plans.delete", f"plan:{plan_id}")


_CUSTOMER_QUERY: dict[str, dict[str, Any]] = {
    "q": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "description": "name prefix, ignoring case and accents",
    },
    "plan": {"type": "string", "description": "plan id"},
    "status": {"enum": list(CUSTOMER_STATUSES)},
    "external_id": {"type": "string", "description": "the customer's id in the ERP"},
    "site": {"type": "string", "description": "site id"},
    **PAGE_QUERY,
}
_IMPORT_DESCRIPTION = (
    "Upsert customers by external_id from a CSV file (Content-Type: text/csv; charset defaults "
    "to utf-8; comma, semicolon or tab separated). The first line names the columns:\n\n"
    + "\n".join(f"- `{name}`: {text}" for name, text in IMPORT_COLUMNS.items())
    + "\n\nOnly the columns present are written; an empty cell clears its field. Rows are "
    "checked first; good rows are applied together and bad rows reported with their line "
    "number and reasons. With atomic=true one bad row means nothing is applied (422)."
)


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    tags = ("customers",)
    return [
        ApiRoute(
            "GET",
            "/customers",
            list_customers,
            permission="customers.read",
            tags=tags,
            summary="List customers",
            query=_CUSTOMER_QUERY,
        ),
        ApiRoute(
            "POST",
            "/customers",
            create_customer,
            permission="customers.write",
            tags=tags,
            summary="Create a customer",
            body_schema=CUSTOMER_CREATE,
            status_code=201,
        ),
        ApiRoute(
            "POST",
            "/customers/import",
            import_customers,
            permission="customers.import",
            tags=tags,
            body_media_type="text/csv",
            summary="Import customers from CSV",
            description=_IMPORT_DESCRIPTION,
            query={
                "atomic": {
                    "type": "boolean",
                    "default": False,
                    "description": "apply nothing if any row is rejected",
                }
            },
        ),
        ApiRoute(
            "GET",
            "/customers/sources",
            list_sources,
            permission="customers.read",
            tags=tags,
            summary="Customer sources (ERP, RADIUS) that plugins declare",
        ),
        ApiRoute(
            "POST",
            "/customers/sync/{source}",
            sync_customers,
            permission="customers.import",
            tags=tags,
            summary="Sync customers from a source, as a job",
            status_code=202,
        ),
        ApiRoute(
            "GET",
            "/customers/{id}",
            get_customer,
            permission="customers.read",
            tags=tags,
            summary="Read a customer",
        ),
        ApiRoute(
            "PATCH",
            "/customers/{id}",
            update_customer,
            permission="customers.write",
            tags=tags,
            summary="Change a customer",
            body_schema=CUSTOMER_UPDATE,
        ),
        ApiRoute(
            "DELETE",
            "/customers/{id}",
            delete_customer,
            permission="customers.write",
            tags=tags,
            summary="Delete a customer",
            status_code=204,
        ),
        ApiRoute(
            "GET",
            "/customers/{id}/export",
            export_customer,
            permission=PII,
            tags=tags,
            summary="Everything held about a customer (LGPD access request)",
        ),
        ApiRoute(
            "POST",
            "/customers/{id}/erase",
            erase_customer,
            permission=PII,
            tags=tags,
            summary="Erase a customer's personal data for good (LGPD)",
        ),
        ApiRoute(
            "GET",
            "/plans",
            list_plans,
            permission="plans.read",
            tags=("plans",),
            summary="List plans",
            query={"q": {"type": "string", "description": "name prefix"}, **PAGE_QUERY},
        ),
        ApiRoute(
            "POST",
            "/plans",
            create_plan,
            permission="plans.write",
            tags=("plans",),
            summary="Create a plan",
            body_schema=PLAN_CREATE,
            status_code=201,
        ),
        ApiRoute(
            "GET",
            "/plans/{id}",
            get_plan,
            permission="plans.read",
            tags=("plans",),
            summary="Read a plan",
        ),
        ApiRoute(
            "PATCH",
            "/plans/{id}",
            update_plan,
            permission="plans.write",
            tags=("plans",),
            summary="Change a plan",
            body_schema=PLAN_UPDATE,
        ),
        ApiRoute(
            "DELETE",
            "/plans/{id}",
            delete_plan,
            permission="plans.write",
            tags=("plans",),
            summary="Delete a plan nobody subscribes to",
            status_code=204,
        ),
    ]
