"""The ``log-file`` notifier: appends each notification to a file as one JSON line."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from rjchronos_sdk import DeliveryResult, DriverMatch, Notification, Notifier


class LogFileNotifier(Notifier):
    """Appends to ``config["path"]``; a file that cannot be written is a failed delivery."""

    name = "log-file"
    # Channels are chosen by configuration, never by matching a device.
    match = DriverMatch()

    async def send(self, notification: Notification) -> DeliveryResult:
        line = json.dumps(
            {
                "time": datetime.now(UTC).isoformat(),
                "recipient": notification.recipient,
                "subject": notification.subject,
                "body": notification.body,
                "template": notification.template,
                "variables": dict(notification.variables),
            },
            ensure_ascii=False,
        )
        path = Path(self.config["path"])
        try:
            # File I/O blocks: keep it off the event loop.
            await asyncio.to_thread(_append, path, line)
        except OSError as exc:
            return DeliveryResult(False, f"cannot append to {path}: {exc.strerror or exc}")
        return DeliveryResult(True, f"appended to {path}")


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write(line + "\n")
