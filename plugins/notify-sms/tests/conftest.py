"""Fixtures: a local SMS gateway with the three API styles gateways use.

- ``POST /v1/messages``: JSON with a bearer key, answers JSON (201 queued).
- ``POST /basic/send``: a form with HTTP basic authentication, answers JSON.
- ``GET /http/send?key=&to=&msg=``: the legacy style, answers ``OK <id>`` or
  ``ERR <code> <text>`` with HTTP 200 either way.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

API_KEY = "sk_live_0123456789abcdef"
USERNAME, PASSWORD = "rjfibra", "gateway-pass-42"
E164 = re.compile(r"\+[1-9][0-9]{7,14}")


class Gateway(ThreadingHTTPServer):
    """Records accepted messages; ``status`` forces an HTTP status, ``answer`` a JSON reply."""

    def __init__(self) -> None:
        self.api_key = API_KEY
        self.username, self.password = USERNAME, PASSWORD
        self.messages: list[dict[str, str]] = []
        self.status = 0
        self.answer: dict[str, Any] | None = None
        self._lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def accept(self, to: str, text: str, style: str) -> str:
        with self._lock:
            message_id = str(10000 + len(self.messages) + 1)
            self.messages.append({"to": to, "text": text, "style": style, "id": message_id})
        return message_id


class _Handler(BaseHTTPRequestHandler):
    server: Gateway

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/http/send":
            self._reply(404, "not found")
        elif query.get("key") != API_KEY:
            self._reply(200, f"ERR 002 invalid credentials for key={query.get('key')}")
        elif not re.fullmatch(r"[1-9][0-9]{7,14}", query.get("to", "")):
            self._reply(200, "ERR 010 invalid destination")
        else:
            self._reply(200, f"OK {self.server.accept(query['to'], query['msg'], 'legacy')}")

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.server.status:
            self._json(self.server.status, {"error": "forced"})
        elif self.path == "/v1/messages":
            self._json_api(raw)
        elif self.path == "/basic/send":
            self._form_api(raw)
        else:
            self._json(404, {"error": "not found"})

    def _json_api(self, raw: bytes) -> None:
        if self.headers.get("authorization") != f"Bearer {API_KEY}":
            self._json(401, {"error": "unauthorized"})
            return
        if not self.headers.get("content-type", "").startswith("application/json"):
            self._json(415, {"error": "expected JSON"})
            return
        body = json.loads(raw)
        if not E164.fullmatch(str(body.get("to", ""))) or not body.get("text"):
            self._json(400, {"error": "invalid 'to' or empty 'text'"})
            return
        if self.server.answer is not None:
            self._json(200, self.server.answer)
            return
        message_id = self.server.accept(body["to"], body["text"], "json")
        self._json(201, {"status": "queued", "data": {"messages": [{"id": f"sms-{message_id}"}]}})

    def _form_api(self, raw: bytes) -> None:
        expected = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        if self.headers.get("authorization") != f"Basic {expected}":
            self._json(401, {"error": "unauthorized"})
            return
        if self.headers.get("content-type") != "application/x-www-form-urlencoded":
            self._json(415, {"error": "expected a form"})
            return
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        message_id = self.server.accept(
            form.get("destination", ""), form.get("message", ""), "form"
        )
        self.send_response(202)
        self.send_header("x-message-id", message_id)
        self.send_header("content-length", "0")
        self.end_headers()

    def _json(self, status: int, answer: dict[str, Any]) -> None:
        self._reply(status, json.dumps(answer), "application/json")

    def _reply(self, status: int, text: str, content_type: str = "text/plain") -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
