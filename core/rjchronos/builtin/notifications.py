"""Built-in plugin: notification channels, the template library and delivery status.

Channels are notifier drivers (``rjchronos.notifiers``) with a configuration
checked against the type's declared schema; secret fields are encrypted
with ``kernel.secrets``. Deliveries run as ``notifications.deliver`` jobs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from rjchronos import hookimpl
from rjchronos.db.types import utcnow
from rjchronos.http.pagination import PAGE_QUERY, paginate
from rjchronos.http.problems import Problem, not_found
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.jobs.spec import TaskHandler
from rjchronos.notifications import service, templates
from rjchronos.notifications.models import NotificationChannel, NotificationDelivery
from rjchronos.security.permissions import Permission

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

READ = "notifications.read"
WRITE = "notifications.write"
MIGRATIONS = Path(__file__).resolve().parent.parent / "notifications" / "migrations" / "versions"

_CHANNEL_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 120},
    "type": {"type": "string", "minLength": 1, "maxLength": 64, "description": "notifier driver"},
    "config": {"type": "object", "description": "checked against the type's schema"},
    "recipient": {"type": "string", "maxLength": 512, "description": "operator recipient"},
    "language": {"enum": list(templates.LANGUAGES)},
    "team": {"type": "string", "maxLength": 120},
    "rate_limit_per_minute": {"type": ["integer", "null"], "minimum": 1},
    "max_attempts": {"type": "integer", "minimum": 1, "maximum": service.MAX_ATTEMPTS},
    "enabled": {"type": "boolean"},
}
CREATE_BODY: dict[str, Any] = {
    "type": "object",
    "properties": _CHANNEL_FIELDS,
    "required": ["name", "type"],
    "additionalProperties": False,
}
PATCH_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {k: v for k, v in _CHANNEL_FIELDS.items() if k != "type"},
    "additionalProperties": False,
}
TEST_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {"recipient": {"type": "string", "maxLength": 512}},
    "additionalProperties": False,
}
DELIVERY_QUERY: dict[str, dict[str, Any]] = {
    **PAGE_QUERY,
    "status": {"enum": ["queued", "retrying", "throttled", "delivered", "dead"]},
    "channel": {"type": "string"},
    "subject": {"type": "string", "description": "alert:<id>, incident:<id>..."},
}


def _invalid(field: str, reason: str) -> Problem:
    return Problem(
        422,
        "Invalid body",
        f"body.{field}: {reason}",
        invalid_params=[{"name": f"body.{field}", "reason": reason}],
    )


def _channel(call: ApiCall) -> NotificationChannel:
    with call.kernel.db.session() as session:
        channel = session.get(NotificationChannel, call.path["id"])
    if channel is None:
        raise not_found("notification channel", call.path["id"])
    return channel


def _audit_params(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "config"} | {
        "config_keys": sorted(body.get("config") or {})
    }


def list_channels(call: ApiCall) -> dict[str, Any]:
    statement = select(NotificationChannel)
    if call.query.get("team"):
        statement = statement.where(NotificationChannel.team == call.query["team"])
    with call.kernel.db.session() as session:
        return paginate(
            session, statement, NotificationChannel.id, call.query, service.render_channel
        )


def get_channel(call: ApiCall) -> dict[str, Any]:
    return service.render_channel(_channel(call))


def create_channel(call: ApiCall) -> dict[str, Any]:
    body = call.body
    try:
        plain, sealed = service.seal_config(call.kernel, body["type"], body.get("config", {}))
    except service.InvalidChannel as exc:
        raise _invalid(exc.field, exc.reason) from None
    channel = NotificationChannel(
        **{k: v for k, v in body.items() if k != "config"},
        config=plain,
        secrets_encrypted=sealed,
    )
    with call.kernel.db.session() as session:
        session.add(channel)
        try:
            session.commit()
        except IntegrityError:
            raise Problem(409, "Conflict", f"a channel named {body['name']!r} exists") from None
        session.refresh(channel)
        rendered = service.render_channel(channel)
    call.audit(
        "notification_channel.create", f"notification_channel:{channel.id}", _audit_params(body)
    )
    return rendered


def update_channel(call: ApiCall) -> dict[str, Any]:
    body = call.body
    with call.kernel.db.session() as session:
        channel = session.get(NotificationChannel, call.path["id"])
        if channel is None:
            raise not_found("notification channel", call.path["id"])
        if "config" in body:
            # Secret fields left out keep their stored value.
            merged = service.open_config(call.kernel, channel) | body["config"]
            try:
                channel.config, channel.secrets_encrypted = service.seal_config(
                    call.kernel, channel.type, merged
                )
            except service.InvalidChannel as exc:
                raise _invalid(exc.field, exc.reason) from None
        for key, value in body.items():
            if key != "config":
                setattr(channel, key, value)
        channel.updated_at = utcnow()
        try:
            session.commit()
        except IntegrityError:
            raise Problem(409, "Conflict", f"a channel named {body.get('name')!r} exists") from None
        session.refresh(channel)
        rendered = service.render_channel(channel)
    call.audit(
        "notification_channel.update", f"notification_channel:{channel.id}", _audit_params(body)
    )
    return rendered


def delete_channel(call: ApiCall) -> None:
    with call.kernel.db.session() as session:
        channel = session.get(NotificationChannel, call.path["id"])
        if channel is None:
            raise not_found("notification channel", call.path["id"])
        session.delete(channel)
        session.commit()
    call.audit("notification_channel.delete", f"notification_channel:{call.path['id']}")


def test_channel(call: ApiCall) -> dict[str, Any]:
    channel = _channel(call)
    delivery_id = service.notify(
        call.kernel,
        channel.id,
        "test",
        {},
        idempotency_key=f"test:{channel.id}:{utcnow().isoformat()}",
        recipient=(call.body or {}).get("recipient"),
        subject_ref="test",
    )
    call.audit("notification_channel.test", f"notification_channel:{channel.id}")
    with call.kernel.db.session() as session:
        delivery = session.get(NotificationDelivery, delivery_id)
        assert delivery is not None
        return service.render_delivery(delivery)


def list_deliveries(call: ApiCall) -> dict[str, Any]:
    statement = select(NotificationDelivery)
    for param, column in (
        ("status", NotificationDelivery.status),
        ("channel", NotificationDelivery.channel_id),
        ("subject", NotificationDelivery.subject_ref),
    ):
        if call.query.get(param):
            statement = statement.where(column == call.query[param])
    with call.kernel.db.session() as session:
        return paginate(
            session,
            statement,
            NotificationDelivery.id,
            call.query,
            service.render_delivery,
            descending=True,
        )


def get_delivery(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        delivery = session.get(NotificationDelivery, call.path["id"])
        if delivery is None:
            raise not_found("notification delivery", call.path["id"])
        return service.render_delivery(delivery)


def list_types(call: ApiCall) -> dict[str, Any]:
    """The installed channel types, each with its configuration's JSON Schema."""
    declared = call.kernel.catalog.notifier_types
    items = []
    for name in sorted(call.kernel.drivers.names(service.NAMESPACE)):
        kind = declared.get(name)
        items.append(
            {
                "name": name,
                "title": kind.title if kind else name,
                "config_schema": dict(kind.config_schema) if kind else {},
                "secret_fields": list(kind.secret_fields) if kind else [],
                "attachments": bool(kind and kind.attachments),
            }
        )
    return {"items": items}


def list_templates(call: ApiCall) -> dict[str, Any]:
    return {
        "items": [
            {
                "name": name,
                "languages": {
                    lang: {"subject": t.subject, "body": t.body} for lang, t in versions.items()
                },
            }
            for name, versions in sorted(templates.LIBRARY.items())
        ]
    }


@hookimpl
def rjc_migrations() -> str:
    return str(MIGRATIONS)


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission(READ, "See notification channels and deliveries", ("operator", "admin")),
        Permission(WRITE, "Add, change, test and remove notification channels", ("admin",)),
    ]


@hookimpl
def rjc_task_handlers(kernel: Kernel) -> list[TaskHandler]:
    return [
        TaskHandler(
            service.JOB_TYPE,
            service.deliver,
            max_attempts=service.MAX_ATTEMPTS,
            timeout=60,
            queue="notifications",
        )
    ]


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    tags = ("notifications",)
    base = "/notification-channels"
    return [
        ApiRoute(
            "GET",
            base,
            list_channels,
            permission=READ,
            tags=tags,
            summary="Notification channels",
            query={**PAGE_QUERY, "team": {"type": "string"}},
        ),
        ApiRoute(
            "POST",
            base,
            create_channel,
            permission=WRITE,
            tags=tags,
            status_code=201,
            summary="Add a channel (config checked against its type)",
            body_schema=CREATE_BODY,
        ),
        ApiRoute(
            "GET", base + "/{id}", get_channel, permission=READ, tags=tags, summary="One channel"
        ),
        ApiRoute(
            "PATCH",
            base + "/{id}",
            update_channel,
            permission=WRITE,
            tags=tags,
            summary="Change a channel",
            body_schema=PATCH_BODY,
        ),
        ApiRoute(
            "DELETE",
            base + "/{id}",
            delete_channel,
            permission=WRITE,
            tags=tags,
            status_code=204,
            summary="Remove a channel and its deliveries",
        ),
        ApiRoute(
            "POST",
            base + "/{id}/test",
            test_channel,
            permission=WRITE,
            tags=tags,
            status_code=202,
            summary="Send a test message",
            body_schema=TEST_BODY,
        ),
        ApiRoute(
            "GET",
            "/notification-deliveries",
            list_deliveries,
            permission=READ,
            tags=tags,
            summary="Deliveries, newest first (status=dead: the dead letters)",
            query=DELIVERY_QUERY,
        ),
        ApiRoute(
            "GET",
            "/notification-deliveries/{id}",
            get_delivery,
            permission=READ,
            tags=tags,
            summary="One delivery and its status",
        ),
        ApiRoute(
            "GET",
            "/notification-types",
            list_types,
            permission=READ,
            tags=tags,
            summary="Installed channel types: configuration schema and secret fields",
        ),
        ApiRoute(
            "GET",
            "/notification-templates",
            list_templates,
            permission=READ,
            tags=tags,
            summary="The message template library (pt-BR, en)",
        ),
    ]
