"""Run ntc-templates' SmartAX TextFSM templates without losing a line.

The templates end in ``^. -> Error``: one line they do not know fails the
whole output. Here such a line is reported as a :class:`ParseIssue` with its
raw text, taken out, and the rest parsed again.
"""

from __future__ import annotations

import re

from ntc_templates.parse import ParsingException, parse_output
from textfsm import TextFSMError

from rjchronos.drivers.olt_model import ParseIssue

PLATFORM = "huawei_smartax"

_PAGER = re.compile(r"-+\s*More\s*\(\s*Press 'Q' to break\s*\)\s*-+")
_CURSOR = re.compile(r"\x1b\[\d*[A-D]")
_REFUSED_LINE = re.compile(r"Input Line: (?P<line>.*)\Z", re.DOTALL)


class UnparsableOutput(ValueError):
    """No template reads this command, or the template failed on no particular line."""


def clean(output: str) -> str:
    """Output without pager prompts and the cursor moves SmartAX sends with them."""
    return _PAGER.sub("", _CURSOR.sub("", output)).replace("\r", "")


def parse(
    command: str, output: str, template_command: str = ""
) -> tuple[list[dict[str, str]], list[ParseIssue]]:
    """Rows of ``output`` through the ntc-templates template for ``template_command``.

    ``template_command`` picks the template when the command sent differs
    from the one the template is indexed under (a narrower filter of the
    same table). Every line a template refuses comes back as an issue.
    """
    lines = clean(output).split("\n")
    issues: list[ParseIssue] = []
    while True:
        try:
            rows = parse_output(
                platform=PLATFORM, command=template_command or command, data="\n".join(lines)
            )
            return [dict(row) for row in rows], issues
        except (TextFSMError, ParsingException) as exc:
            refused = _refused(str(exc), lines)
            if refused is None:
                raise UnparsableOutput(f"{command!r}: {exc}") from exc
            issues.append(ParseIssue(command, refused.strip(), "the template refused this line"))
            lines.remove(refused)


def _refused(message: str, lines: list[str]) -> str | None:
    """The line of ``lines`` that TextFSM's error message quotes."""
    found = _REFUSED_LINE.search(message)
    if not found:
        return None
    quoted = found["line"].rstrip()
    return next((line for line in lines if line.rstrip() == quoted), None)
