"""Logging set-up: text or one JSON object per line, with the request and device in context.

``request_id`` is set per HTTP request (taken from a well-formed ``X-Request-ID``
or made up, and echoed in the response); ``device_id`` by code working on one
device (:func:`device_context`). Both reach every log line written meanwhile,
whatever logger writes it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

request_id: ContextVar[str | None] = ContextVar("rjc_request_id", default=None)
device_id: ContextVar[str | None] = ContextVar("rjc_device_id", default=None)
FORMATS = ("text", "json")
#: An incoming X-Request-ID is kept only when it looks like an id, never arbitrary text.
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def new_request_id(offered: str | None = None) -> str:
    """The client's id when well formed, else a fresh one."""
    if offered and _WELL_FORMED.match(offered):
        return offered
    return secrets.token_hex(8)


@contextlib.contextmanager
def device_context(device: str | None) -> Iterator[None]:
    """Log lines written inside carry ``device_id``."""
    token = device_id.set(device)
    try:
        yield
    finally:
        device_id.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids in context, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, var in (("request_id", request_id), ("device_id", device_id)):
            if (value := var.get()) is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: int, fmt: str = "text") -> None:
    """Set up the root logger for a command (``fmt``: ``text`` or ``json``)."""
    if fmt not in FORMATS:
        raise ValueError(f"log format is one of {', '.join(FORMATS)}, not {fmt!r}")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
