"""The ZXAN CLI described as data, in the shape of a scrapli platform definition.

No scrapli-community platform exists for ZTE OLTs; these are the prompts,
privilege levels, error strings and session set-up a transport needs, as
plain data. :data:`CLI_PLATFORM` is what :mod:`rjchronos_sdk.olt.cli` runs on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rjchronos_olt_zte.commands import ERROR, SESSION_SETUP
from rjchronos_sdk.olt import CliPlatform

_NAME = r"[\w.\-@/:]{1,63}"


@dataclass(frozen=True)
class PrivilegeLevel:
    """One CLI level: the prompt that shows it and how to move to and from it."""

    name: str
    pattern: str
    previous: str
    escalate: str
    deescalate: str
    escalate_auth: bool = False
    escalate_prompt: str = ""


PRIVILEGE_LEVELS = {
    "exec": PrivilegeLevel("exec", rf"^{_NAME}>\s?$", "", "", ""),
    "privilege_exec": PrivilegeLevel(
        "privilege_exec",
        rf"^{_NAME}#\s?$",
        "exec",
        "enable",
        "disable",
        escalate_auth=True,
        escalate_prompt=r"^[Pp]assword:\s?$",
    ),
    "configuration": PrivilegeLevel(
        "configuration",
        rf"^{_NAME}\((?:config|gpon-onu-mng|pon-onu-mng)[\w.\-@/:+]{{0,32}}\)#\s?$",
        "privilege_exec",
        "configure terminal",
        "end",
    ),
}

DEFAULT_DESIRED_PRIVILEGE_LEVEL = "privilege_exec"
#: Lines ZXAN prints when it refuses a command (the prompt stays).
FAILED_WHEN_CONTAINS = ("%Error", "% Error", "% Invalid input detected", "%Code")
ON_OPEN_COMMANDS = SESSION_SETUP
#: Telnet needs ECHO and NAWS answered before ZXAN sends its login prompt.
TELNET_OPTIONS = ("ECHO", "NAWS", "SGA")
ERROR_PATTERN = ERROR

_LEVELS = [(name, re.compile(level.pattern)) for name, level in PRIVILEGE_LEVELS.items()]


def level_of(prompt: str) -> str | None:
    """The privilege level a prompt line shows, or None."""
    return next((name for name, pattern in _LEVELS if pattern.match(prompt)), None)


#: ZXAN's confirmations (``Confirm to reboot?  [yes/no]:``) end a command's output like a prompt.
QUESTION = r"\[yes/no\]:\s?$"
#: The transport's view: any level's prompt or a question; ``enable`` then no paging.
CLI_PLATFORM = CliPlatform(
    prompt="|".join([*(level.pattern for level in PRIVILEGE_LEVELS.values()), QUESTION]),
    question=QUESTION,
    setup=("enable", *ON_OPEN_COMMANDS),
    login_answer="no",
    enable_command="enable",
    enable_question=PRIVILEGE_LEVELS["privilege_exec"].escalate_prompt,
    privileged_prompt=PRIVILEGE_LEVELS["privilege_exec"].pattern,
)
