"""Channels, and deliveries as durable jobs with retries, rate limits and a dead letter.

A delivery is a row first (keyed by an idempotency key) and a job second:
the job carries only the delivery's id. The handler sends only a delivery
that is not yet ``delivered`` or ``dead``, so a re-run job (a worker that
died after sending, a trigger sent twice) never sends again. The key is also
handed to the notifier in ``variables["idempotency_key"]`` so a receiver can
drop the one duplicate a crash between sending and recording could cause.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import jsonschema
from sqlalchemy import func, select, update

from rjchronos.db.types import utcnow
from rjchronos.drivers.contracts import Attachment, DeliveryResult, Notification, Notifier
from rjchronos.drivers.registry import NoDriverError
from rjchronos.notifications import templates
from rjchronos.notifications.models import NotificationChannel, NotificationDelivery, deliveries

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)

NAMESPACE = "rjchronos.notifiers"
JOB_TYPE = "notifications.deliver"
#: Attempts the delivery job allows; a channel's ``max_attempts`` is at most this.
MAX_ATTEMPTS = 10
FINAL = ("delivered", "dead")
#: Where a delivery keeps its attachments (base64) among its variables; never shown by the API.
ATTACHMENTS = "_attachments"


class InvalidChannel(ValueError):
    """A channel document that cannot be used; ``field`` names the culprit."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class DeliveryFailed(RuntimeError):
    """One failed attempt that will be retried (the job system applies the backoff)."""


# -- channels --------------------------------------------------------------------


def check_channel(kernel: Kernel, type: str, config: Mapping[str, Any]) -> tuple[str, ...]:
    """Validate a channel's type and configuration; return its secret fields."""
    names = kernel.drivers.names(NAMESPACE)
    if type not in names:
        raise InvalidChannel("type", f"no notifier {type!r}; installed: {', '.join(names)}")
    declared = kernel.catalog.notifier_types.get(type)
    if declared is None:
        return ()
    if declared.config_schema:
        validator = jsonschema.Draft202012Validator(declared.config_schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(dict(config)))
        if error is not None:
            where = ".".join(map(str, error.absolute_path))
            raise InvalidChannel("config" + (f".{where}" if where else ""), error.message)
    return tuple(declared.secret_fields)


def seal_config(
    kernel: Kernel, type: str, config: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Split a checked configuration into plain values and encrypted secrets."""
    secret_fields = check_channel(kernel, type, config)
    plain = {k: v for k, v in config.items() if k not in secret_fields}
    sealed = {k: kernel.secrets.encrypt(str(v)) for k, v in config.items() if k in secret_fields}
    return plain, sealed


def open_config(kernel: Kernel, channel: NotificationChannel) -> dict[str, Any]:
    """A channel's whole configuration, secrets decrypted (for its notifier only)."""
    config = dict(channel.config)
    for key, token in channel.secrets_encrypted.items():
        config[key] = kernel.secrets.decrypt(token)
    return config


def render_channel(channel: NotificationChannel) -> dict[str, Any]:
    """A channel as the API shows it: secrets only as set or not."""
    return {
        "id": channel.id,
        "name": channel.name,
        "type": channel.type,
        "config": dict(channel.config),
        "secrets_set": sorted(channel.secrets_encrypted),
        "recipient": channel.recipient,
        "language": channel.language,
        "team": channel.team,
        "rate_limit_per_minute": channel.rate_limit_per_minute,
        "max_attempts": channel.max_attempts,
        "enabled": channel.enabled,
        "created_at": channel.created_at.isoformat(),
        "updated_at": channel.updated_at.isoformat(),
    }


# -- deliveries ------------------------------------------------------------------


def render_delivery(delivery: NotificationDelivery) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": delivery.id,
        "idempotency_key": delivery.idempotency_key,
        "channel_id": delivery.channel_id,
        "recipient": delivery.recipient,
        "template": delivery.template,
        "language": delivery.language,
        "subject": delivery.subject,
        "body": delivery.body,
        "subject_ref": delivery.subject_ref,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "provider_id": delivery.provider_id,
        "created_at": iso(delivery.created_at),
        "next_attempt_at": iso(delivery.next_attempt_at),
        "delivered_at": iso(delivery.delivered_at),
        "dead_at": iso(delivery.dead_at),
    }


def notify(
    kernel: Kernel,
    channel_id: str,
    template: str,
    variables: Mapping[str, Any],
    *,
    idempotency_key: str,
    recipient: str | None = None,
    language: str | None = None,
    subject_ref: str = "",
    attachments: Sequence[Attachment] = (),
) -> str | None:
    """Queue one message on a channel; return the delivery's id.

    The same ``idempotency_key`` twice gives the first delivery and sends
    nothing more. A disabled or missing channel gives ``None`` (logged).
    ``attachments`` are kept with the delivery (so retries send them too)
    and handed to the notifier when its type declares ``attachments``.
    """
    with kernel.db.session() as session:
        existing = session.execute(
            select(NotificationDelivery).where(deliveries.c.idempotency_key == idempotency_key)
        ).scalar_one_or_none()
        if existing is not None:
            return existing.id
        channel = session.get(NotificationChannel, channel_id)
        if channel is None or not channel.enabled:
            log.warning("notification %s: channel %s missing or disabled", template, channel_id)
            return None
        lang = language or channel.language
        values = {"channel": channel.name, **variables}
        subject, body = templates.render(template, lang, values)
        delivery = NotificationDelivery(
            idempotency_key=idempotency_key,
            channel_id=channel.id,
            recipient=recipient if recipient is not None else channel.recipient,
            template=template,
            language=lang,
            subject=subject,
            body=body,
            variables={**_jsonable(values), **_packed(attachments)},
            subject_ref=subject_ref,
        )
        session.add(delivery)
        session.commit()
        delivery_id = delivery.id
    kernel.jobs.enqueue(JOB_TYPE, {"delivery": delivery_id}, dedup_key=delivery_id)
    return delivery_id


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v)
        for k, v in values.items()
    }


def _packed(attachments: Sequence[Attachment]) -> dict[str, Any]:
    if not attachments:
        return {}
    return {
        ATTACHMENTS: [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "data": base64.b64encode(a.data).decode("ascii"),
            }
            for a in attachments
        ]
    }


def accepts_attachments(kernel: Kernel, channel_type: str) -> bool:
    """Whether channels of this type send attachments (``NotifierType.attachments``)."""
    declared = kernel.catalog.notifier_types.get(channel_type)
    return bool(declared and declared.attachments)


def _set(kernel: Kernel, delivery_id: str, **values: Any) -> None:
    statement = update(deliveries).where(deliveries.c.id == delivery_id).values(**values)
    with kernel.db.engine.begin() as connection:
        connection.execute(statement)


def _sent_last_minute(kernel: Kernel, channel_id: str) -> int:
    since = utcnow() - timedelta(minutes=1)
    with kernel.db.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(deliveries)
                .where(
                    deliveries.c.channel_id == channel_id,
                    deliveries.c.delivered_at >= since,
                )
            ).scalar_one()
        )


async def deliver(kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
    """The delivery job: send once, retry on failure, dead-letter when attempts run out."""
    delivery_id = str(params["delivery"])
    with kernel.db.session() as session:
        delivery = session.get(NotificationDelivery, delivery_id)
        if delivery is None:
            return {"status": "missing"}
        if delivery.status in FINAL:
            return {"status": delivery.status, "sent": False}
        channel = session.get(NotificationChannel, delivery.channel_id)
        assert channel is not None  # deliveries go with their channel (ON DELETE CASCADE)
        session.expunge_all()
    limit = channel.rate_limit_per_minute
    if limit and _sent_last_minute(kernel, channel.id) >= limit:
        return _throttle(kernel, delivery, params)
    # One write per attempt, after it: a crash mid-send leaves the row as it was, and the
    # re-run job sends again (at least once; the idempotency key lets receivers drop it).
    attempt = delivery.attempts + 1
    result = await _send(kernel, channel, delivery)
    now = utcnow()
    if result.delivered:
        _set(
            kernel,
            delivery_id,
            status="delivered",
            attempts=attempt,
            delivered_at=now,
            provider_id=result.provider_id[:255],
            last_error="",
            next_attempt_at=None,
        )
        return {"status": "delivered", "attempts": attempt}
    if not result.retryable or attempt >= min(channel.max_attempts, MAX_ATTEMPTS):
        _set(
            kernel,
            delivery_id,
            status="dead",
            attempts=attempt,
            dead_at=now,
            last_error=result.detail,
        )
        log.warning("delivery %s dead after %d attempts: %s", delivery_id, attempt, result.detail)
        return {"status": "dead", "attempts": attempt, "error": result.detail}
    _set(kernel, delivery_id, status="retrying", attempts=attempt, last_error=result.detail)
    raise DeliveryFailed(f"delivery {delivery_id} attempt {attempt}: {result.detail}")


def _throttle(
    kernel: Kernel, delivery: NotificationDelivery, params: Mapping[str, Any]
) -> dict[str, Any]:
    """Over the channel's rate: try again in a minute, as a new job."""
    later = utcnow() + timedelta(minutes=1)
    round_ = int(params.get("round", 0)) + 1
    job_id = kernel.jobs.enqueue(
        JOB_TYPE,
        {"delivery": delivery.id, "round": round_},
        run_at=later,
        dedup_key=f"{delivery.id}:{round_}",
    )
    _set(kernel, delivery.id, status="throttled", next_attempt_at=later)
    return {"status": "throttled", "next_job": job_id}


async def _send(
    kernel: Kernel, channel: NotificationChannel, delivery: NotificationDelivery
) -> DeliveryResult:
    try:
        driver = kernel.drivers.get(NAMESPACE, channel.type)
    except NoDriverError as exc:
        return DeliveryResult(False, str(exc), retryable=True)
    assert issubclass(driver, Notifier)
    variables = dict(delivery.variables)
    packed = variables.pop(ATTACHMENTS, None) or []
    attachments = tuple(
        Attachment(str(a["filename"]), str(a["content_type"]), base64.b64decode(a["data"]))
        for a in packed
    )
    notification = Notification(
        subject=delivery.subject,
        body=delivery.body,
        recipient=delivery.recipient,
        template=delivery.template,
        variables={**variables, "idempotency_key": delivery.idempotency_key},
        attachments=attachments if accepts_attachments(kernel, channel.type) else (),
    )
    try:
        return await driver(open_config(kernel, channel)).send(notification)
    except Exception as exc:  # a notifier must not raise; one that does is retried
        log.exception("notifier %s raised", channel.type)
        return DeliveryResult(False, f"{type(exc).__name__}: {exc}", retryable=True)
