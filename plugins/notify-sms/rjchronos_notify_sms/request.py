"""Fill a gateway's request template and read its answer.

Templates name ``{recipient}``, ``{body}``, ``{subject}`` and ``{api_key}``;
nothing else is expanded (no attribute access, no format specs), so a
template can never reach into the notifier.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

_PLACEHOLDER = re.compile(r"\{(recipient|body|subject|api_key)\}")


def fill(template: str, values: Mapping[str, str], *, url: bool = False) -> str:
    """``template`` with its placeholders replaced (percent-encoded in a URL)."""

    def value(match: re.Match[str]) -> str:
        text = values.get(match.group(1), "")
        return quote(text, safe="") if url else text

    return _PLACEHOLDER.sub(value, template)


def fill_document(document: Any, values: Mapping[str, str]) -> Any:
    """A JSON-like document with every string in it filled."""
    if isinstance(document, str):
        return fill(document, values)
    if isinstance(document, Mapping):
        return {key: fill_document(item, values) for key, item in document.items()}
    if isinstance(document, list):
        return [fill_document(item, values) for item in document]
    return document


def json_path(document: Any, path: str) -> Any:
    """The value at a dotted path (``data.messages.0.id``, ``$.`` optional), or None."""
    current = document
    for step in path.removeprefix("$.").split("."):
        if isinstance(current, Mapping) and step in current:
            current = current[step]
        elif isinstance(current, list) and step.isdigit() and int(step) < len(current):
            current = current[int(step)]
        else:
            return None
    return current
