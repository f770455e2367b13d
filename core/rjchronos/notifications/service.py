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
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import jsonschema
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from rjchronos.db.ids import new_id
from rjchronos.db.types import utcnow
from rjchronos.drivers.contracts import Attachment, DeliveryResult, Notification, Notifier
from rjchronos.drivers.registry import NoDriverError
from rjchronos.jobs.runner import backoff
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
#: Deliveries queued together are sent by jobs of at most this many.
DELIVERY_BATCH = 50


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


@dataclass(frozen=True)
class Message:
    """One message to queue on a channel (the arguments of :func:`notify`)."""

    channel_id: str
    template: str
    variables: Mapping[str, Any]
    idempotency_key: str
    recipient: str | None = None
    language: str | None = None
    subject_ref: str = ""
    attachments: Sequence[Attachment] = ()


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
    message = Message(
        channel_id,
        template,
        variables,
        idempotency_key,
        recipient,
        language,
        subject_ref,
        tuple(attachments),
    )
    return notify_many(kernel, [message])[0]


def notify_many(kernel: Kernel, messages: Sequence[Message]) -> list[str | None]:
    """:func:`notify` for many messages: one transaction for the deliveries, one for the jobs.

    :return: each message's delivery id, ``None`` where its channel is missing or disabled.
    """
    if not messages:
        return []
    try:
        result, queued = _store_deliveries(kernel, messages)
    except IntegrityError:
        # Another process stored one of these keys between our read and our write.
        if len(messages) == 1:
            result, queued = _store_deliveries(kernel, messages)
        else:
            return [notify_many(kernel, [message])[0] for message in messages]
    jobs: list[tuple[Mapping[str, Any], str]] = []
    for start in range(0, len(queued), DELIVERY_BATCH):
        chunk = queued[start : start + DELIVERY_BATCH]
        if len(chunk) == 1:
            jobs.append(({"delivery": chunk[0]}, chunk[0]))
        else:
            jobs.append(({"deliveries": chunk}, f"batch:{chunk[0]}:{len(chunk)}"))
    kernel.jobs.enqueue_many(JOB_TYPE, jobs)
    return result


def _store_deliveries(
    kernel: Kernel, messages: Sequence[Message]
) -> tuple[list[str | None], list[str]]:
    """Store the deliveries that are new; each message's delivery id and the new ones'."""
    queued: list[str] = []
    with kernel.db.session() as session:
        keys = {m.idempotency_key for m in messages}
        known: dict[str, str] = {
            key: delivery_id
            for key, delivery_id in session.execute(
                select(deliveries.c.idempotency_key, deliveries.c.id).where(
                    kernel.db.one_of(deliveries.c.idempotency_key, keys)
                )
            ).all()
        }
        channel_ids = {m.channel_id for m in messages}
        channels = {
            channel.id: channel
            for channel in session.execute(
                select(NotificationChannel).where(
                    NotificationChannel.id.in_(channel_ids)  # type: ignore[attr-defined]
                )
            ).scalars()
        }
        result: list[str | None] = []
        rows: list[dict[str, Any]] = []
        now = utcnow()
        for message in messages:
            if message.idempotency_key in known:
                result.append(known[message.idempotency_key])
                continue
            channel = channels.get(message.channel_id)
            if channel is None or not channel.enabled:
                log.warning(
                    "notification %s: channel %s missing or disabled",
                    message.template,
                    message.channel_id,
                )
                result.append(None)
                continue
            lang = message.language or channel.language
            values = {"channel": channel.name, **message.variables}
            subject, body = templates.render(message.template, lang, values)
            delivery_id = new_id()
            rows.append(
                {
                    "id": delivery_id,
                    "idempotency_key": message.idempotency_key,
                    "channel_id": channel.id,
                    "recipient": channel.recipient
                    if message.recipient is None
                    else message.recipient,
                    "template": message.template,
                    "language": lang,
                    "subject": subject,
                    "body": body,
                    "variables": {**_jsonable(values), **_packed(message.attachments)},
                    "subject_ref": message.subject_ref,
                    "status": "queued",
                    "attempts": 0,
                    "last_error": "",
                    "provider_id": "",
                    "created_at": now,
                }
            )
            known[message.idempotency_key] = delivery_id
            queued.append(delivery_id)
            result.append(delivery_id)
        if rows:  # plain rows, no ORM objects: a burst queues hundreds at once
            session.connection().execute(insert(deliveries), rows)
        session.commit()
    return result, queued


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


def _notification(
    kernel: Kernel, channel: NotificationChannel, delivery: NotificationDelivery
) -> Notification:
    variables = dict(delivery.variables)
    packed = variables.pop(ATTACHMENTS, None) or []
    attachments = tuple(
        Attachment(str(a["filename"]), str(a["content_type"]), base64.b64decode(a["data"]))
        for a in packed
    )
    return Notification(
        subject=delivery.subject,
        body=delivery.body,
        recipient=delivery.recipient,
        template=delivery.template,
        variables={**variables, "idempotency_key": delivery.idempotency_key},
        attachments=attachments if accepts_attachments(kernel, channel.type) else (),
    )


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


@dataclass
class _Outcome:
    delivery: NotificationDelivery
    channel: NotificationChannel
    result: DeliveryResult


async def deliver(kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
    """The delivery job: send once, retry on failure, dead-letter when attempts run out.

    ``params["delivery"]`` is one delivery, retried by the job system;
    ``params["deliveries"]`` a batch (what a burst of alerts queues), sent
    concurrently per channel, whose failures each get a retry job of their own.
    """
    batch = "deliveries" in params
    ids = [str(i) for i in params["deliveries"]] if batch else [str(params["delivery"])]
    with kernel.db.session() as session:
        rows = session.execute(
            select(NotificationDelivery, NotificationChannel)
            .join(NotificationChannel, NotificationChannel.id == NotificationDelivery.channel_id)  # type: ignore[arg-type]
            .where(kernel.db.one_of(deliveries.c.id, ids))
        ).all()
        session.expunge_all()
    if not batch and not rows:
        return {"status": "missing"}
    if not batch and rows[0][0].status in FINAL:
        return {"status": rows[0][0].status, "sent": False}
    by_channel: dict[str, list[NotificationDelivery]] = {}
    channels: dict[str, NotificationChannel] = {}
    for delivery, channel in rows:
        if delivery.status not in FINAL:
            by_channel.setdefault(channel.id, []).append(delivery)
            channels[channel.id] = channel
    outcomes: list[_Outcome] = []
    throttled: list[str] = []
    for channel_id, waiting in by_channel.items():
        channel = channels[channel_id]
        if limit := channel.rate_limit_per_minute:
            room = max(limit - _sent_last_minute(kernel, channel.id), 0)
            throttled += [d.id for d in waiting[room:]]
            waiting = waiting[:room]
        results = await _send(kernel, channel, waiting)
        outcomes += [_Outcome(d, channel, r) for d, r in zip(waiting, results, strict=True)]
    for delivery_id in throttled:
        _throttle(kernel, delivery_id, params)
    summary = _record(kernel, outcomes, retry_as_jobs=batch)
    if not batch:
        if throttled:
            return {"status": "throttled"}
        outcome = outcomes[0]
        attempt = outcome.delivery.attempts + 1
        status = summary[outcome.delivery.id]
        if status == "retrying":
            raise DeliveryFailed(
                f"delivery {outcome.delivery.id} attempt {attempt}: {outcome.result.detail}"
            )
        if status == "dead":
            return {"status": "dead", "attempts": attempt, "error": outcome.result.detail}
        return {"status": "delivered", "attempts": attempt}
    counts: dict[str, int] = {}
    for status in [*summary.values(), *["throttled"] * len(throttled)]:
        counts[status] = counts.get(status, 0) + 1
    return counts


def _record(kernel: Kernel, outcomes: list[_Outcome], *, retry_as_jobs: bool) -> dict[str, str]:
    """Store every attempt's outcome in one transaction; each delivery's new status.

    One write per attempt, after it: a crash mid-send leaves the rows as they
    were, and the re-run job sends again (at least once; the idempotency key
    lets receivers drop it).
    """
    now = utcnow()
    status: dict[str, str] = {}
    changes: list[dict[str, Any]] = []
    retries: list[tuple[str, int]] = []
    for outcome in outcomes:
        delivery, result = outcome.delivery, outcome.result
        attempt = delivery.attempts + 1
        values: dict[str, Any] = {"attempts": attempt, "last_error": result.detail}
        if result.delivered:
            values |= {
                "status": "delivered",
                "delivered_at": now,
                "provider_id": result.provider_id[:255],
                "last_error": "",
                "next_attempt_at": None,
            }
        elif not result.retryable or attempt >= min(outcome.channel.max_attempts, MAX_ATTEMPTS):
            values |= {"status": "dead", "dead_at": now}
            log.warning(
                "delivery %s dead after %d attempts: %s", delivery.id, attempt, result.detail
            )
        else:
            values |= {"status": "retrying"}
            retries.append((delivery.id, attempt))
        status[delivery.id] = values["status"]
        changes.append(values | {"b_id": delivery.id})
        kernel.metrics.deliveries.labels(outcome.channel.type, values["status"]).inc()
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in changes:
        by_shape.setdefault(tuple(sorted(values)), []).append(values)
    with kernel.db.engine.begin() as connection:
        for shape, rows in by_shape.items():
            statement = (
                update(deliveries)
                .where(deliveries.c.id == bindparam("b_id"))
                .values({name: bindparam(name) for name in shape if name != "b_id"})
            )
            connection.execute(statement, rows)
    if retry_as_jobs:
        config = kernel.jobs.config
        for delivery_id, attempt in retries:
            delay = backoff(attempt, config.retry_base_seconds, config.retry_max_seconds)
            kernel.jobs.enqueue(
                JOB_TYPE,
                {"delivery": delivery_id},
                run_at=now + timedelta(seconds=delay),
                dedup_key=f"{delivery_id}:retry:{attempt}",
            )
    return status


def _throttle(kernel: Kernel, delivery_id: str, params: Mapping[str, Any]) -> str:
    """Over the channel's rate: try again in a minute, as a new job."""
    later = utcnow() + timedelta(minutes=1)
    round_ = int(params.get("round", 0)) + 1
    job_id = kernel.jobs.enqueue(
        JOB_TYPE,
        {"delivery": delivery_id, "round": round_},
        run_at=later,
        dedup_key=f"{delivery_id}:{round_}",
    )
    _set(kernel, delivery_id, status="throttled", next_attempt_at=later)
    return job_id


async def _send(
    kernel: Kernel, channel: NotificationChannel, waiting: list[NotificationDelivery]
) -> list[DeliveryResult]:
    """Send ``waiting`` on ``channel``; a result for each, failures included."""
    if not waiting:
        return []
    try:
        driver = kernel.drivers.get(NAMESPACE, channel.type)
    except NoDriverError as exc:
        return [DeliveryResult(False, str(exc), retryable=True) for _ in waiting]
    assert issubclass(driver, Notifier)
    notifications = [_notification(kernel, channel, delivery) for delivery in waiting]
    try:
        notifier = driver(open_config(kernel, channel))
        # One delivery too: a notifier's batch path may be the cheaper one (the webhook's
        # kept-alive connections); the default ``send_many`` calls ``send``.
        results = await notifier.send_many(notifications)
    except Exception as exc:  # a notifier must not raise; one that does is retried
        log.exception("notifier %s raised", channel.type)
        return [DeliveryResult(False, f"{type(exc).__name__}: {exc}", retryable=True)] * len(
            waiting
        )
    if len(results) != len(waiting):
        detail = f"notifier {channel.type} returned {len(results)} results for {len(waiting)}"
        return [DeliveryResult(False, detail, retryable=True) for _ in waiting]
    return list(results)
