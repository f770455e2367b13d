"""Fixtures: a local Telegram Bot API server: ``sendMessage`` as the Bot API documents it.

It checks what the real one checks (token, chat, text, parse_mode, HTML
entities) and answers ``{"ok": true, "result": Message}`` or ``{"ok": false,
"error_code", "description"[, "parameters": {"retry_after"}]}``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}


class BotApi(ThreadingHTTPServer):
    """Chats ``chats`` exist, ``blocked`` have blocked the bot; ``throttle`` answers 429."""

    def __init__(self) -> None:
        self.token = TOKEN
        self.chats = {"-1001234567890", "@rjchronos_noc", "42"}
        self.blocked = {"77"}
        self.throttle = False
        self.messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def send_message(self, token: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if token != TOKEN:
            return _error(401, "Unauthorized")
        if self.throttle:
            return _error(429, "Too Many Requests: retry after 5", {"retry_after": 5})
        chat = str(request.get("chat_id", ""))
        text = request.get("text")
        if not chat:
            return _error(400, "Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        mode = request.get("parse_mode")
        if mode not in (None, "HTML", "MarkdownV2", "Markdown"):
            return _error(400, f"Bad Request: unsupported parse_mode {mode}")
        if mode == "HTML" and not _valid_html(text):
            return _error(400, "Bad Request: can't parse entities")
        if mode == "MarkdownV2" and re.search(r"(?<!\\)[.!\-()]", text):
            return _error(400, "Bad Request: can't parse entities: character must be escaped")
        if chat in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat not in self.chats:
            return _error(400, "Bad Request: chat not found")
        with self._lock:
            message = {
                "message_id": len(self.messages) + 1,
                "date": int(time.time()),
                "chat": {"id": chat},
                "text": text,
                "parse_mode": mode,
            }
            self.messages.append(message)
        return 200, {"ok": True, "result": message}


def _error(code: int, description: str, parameters: Any = None) -> tuple[int, dict[str, Any]]:
    answer: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        answer["parameters"] = parameters
    return code, answer


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.valid = True

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.valid &= tag in ALLOWED_TAGS
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.valid &= bool(self.open) and self.open.pop() == tag


def _valid_html(text: str) -> bool:
    if re.search(r"<(?![/a-z])|&(?!(lt|gt|amp|quot|#\d+);)", text):
        return False
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    return checker.valid and not checker.open


class _Handler(BaseHTTPRequestHandler):
    server: BotApi

    def do_POST(self) -> None:
        match = re.fullmatch(r"/bot([^/]+)/sendMessage", self.path)
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        if not match:
            status, answer = _error(404, "Not Found")
        elif not self.headers.get("content-type", "").startswith("application/json"):
            status, answer = _error(400, "Bad Request: expected a JSON body")
        else:
            status, answer = self.server.send_message(match.group(1), json.loads(raw))
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def bot_api() -> Iterator[BotApi]:
    server = BotApi()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
