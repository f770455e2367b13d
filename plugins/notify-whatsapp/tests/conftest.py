"""Fixtures: a local WhatsApp Business Cloud API (``POST /{version}/{phone-number-id}/messages``).

It validates a template message the way the Graph API does and answers with
its documented bodies: ``{"messaging_product", "contacts", "messages": [{"id"}]}``
or ``{"error": {"message", "type", "code", "error_data", "fbtrace_id"}}``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

TOKEN = "EAAGtestSystemUserToken0123456789"
EXPIRED_TOKEN = "EAAGexpiredToken9876543210"
PHONE_NUMBER_ID = "106540352242922"
VERSION = "v21.0"


class CloudApi(ThreadingHTTPServer):
    """``templates``: approved name -> {language code: body parameter count}.

    ``undeliverable`` numbers answer 131026; ``throttle`` (an error code, 4
    or 80007) answers every request with that rate-limit error.
    """

    def __init__(self) -> None:
        self.token = TOKEN
        self.expired_token = EXPIRED_TOKEN
        self.phone_number_id = PHONE_NUMBER_ID
        self.templates = {
            "queda_regional": {"pt_BR": 2, "en_US": 2},
            "servico_restabelecido": {"pt_BR": 1},
            "hello_world": {"en_US": 0},
        }
        self.undeliverable = {"5521900000000"}
        self.throttle = 0
        self.messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle(self, path: str, authorization: str, body: Any) -> tuple[int, dict[str, Any]]:
        if authorization == f"Bearer {EXPIRED_TOKEN}":
            return _error(
                401, 190, "Error validating access token: Session has expired", subcode=463
            )
        if authorization != f"Bearer {TOKEN}":
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if path != f"/{VERSION}/{PHONE_NUMBER_ID}/messages":
            return _error(
                400, 100, f"Unsupported post request. Object with ID does not exist: {path}"
            )
        if self.throttle:
            return _error(400, self.throttle, f"(#{self.throttle}) Rate limit hit")
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return _error(400, 100, "(#100) The parameter messaging_product is required.")
        to = str(body.get("to", ""))
        if not re.fullmatch(r"\+?[1-9][0-9]{7,14}", to):
            return _error(400, 100, "(#100) Invalid parameter", details="to must be a phone number")
        if body.get("type") != "template" or not isinstance(body.get("template"), dict):
            return _error(400, 100, "(#100) Param template is required for type template")
        problem = self._check_template(body["template"])
        if problem:
            return problem
        if to.lstrip("+") in self.undeliverable:
            return _error(400, 131026, "Message Undeliverable.", details="Message failed to send")
        with self._lock:
            wamid = f"wamid.HBgNNTUyMTk4NzY1NDMyMRUCABEYEj{len(self.messages) + 1:04d}"
            self.messages.append({**body, "id": wamid})
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
            "messages": [{"id": wamid, "message_status": "accepted"}],
        }

    def _check_template(self, template: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        name = template.get("name")
        code = (template.get("language") or {}).get("code")
        if name not in self.templates or code not in self.templates[name]:
            return _error(
                404,
                132001,
                "(#132001) Template name does not exist in the translation",
                details=f"template name ({name}) does not exist in {code}",
            )
        parameters: list[Any] = []
        for component in template.get("components", []):
            if component.get("type") == "body":
                parameters = component.get("parameters", [])
        if len(parameters) != self.templates[name][code]:
            return _error(
                400,
                132000,
                "(#132000) Number of parameters does not match the expected number of params",
            )
        for parameter in parameters:
            text = parameter.get("text") if parameter.get("type") == "text" else None
            if not isinstance(text, str) or not text or re.search(r"[\n\t]| {5,}", text):
                return _error(
                    400,
                    132018,
                    "(#132018) There was an issue with the parameters in your template.",
                )
        return None


def _error(
    status: int, code: int, message: str, details: str = "", subcode: int | None = None
) -> tuple[int, dict[str, Any]]:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AazF3oK1yQ2ZpZcY8y1fX7d",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return status, {"error": error}


class _Handler(BaseHTTPRequestHandler):
    server: CloudApi

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        status, answer = self.server.handle(self.path, self.headers.get("authorization", ""), body)
        encoded = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def cloud_api() -> Iterator[CloudApi]:
    server = CloudApi()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
