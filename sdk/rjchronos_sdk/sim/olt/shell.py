"""What a vendor CLI shell gives the SSH server: replies, questions, prompts and a pager."""

from __future__ import annotations

import shlex
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

from rjchronos_sdk.sim.olt.state import OltState, Onu, UnconfiguredOnu


@dataclass
class Reply:
    """What a command prints, and optionally a question whose answer continues it."""

    text: str = ""
    question: str | None = None
    answer: Callable[[str], Reply] | None = None
    close: bool = False
    #: The answer is a password: not echoed.
    secret: bool = False


@dataclass
class Shell(ABC):
    """One CLI session on the virtual OLT; the vendor subclasses add the commands."""

    state: OltState
    mode: str = "user"
    pager: str | None = None
    page_lines: int = 24
    alarms: list[str] = field(default_factory=list)

    banner: str = ""

    @property
    @abstractmethod
    def prompt(self) -> str:
        """The prompt for the current mode."""

    @abstractmethod
    def run(self, line: str) -> Reply:
        """Run one command line."""

    @abstractmethod
    def on_event(self, event: str, subject: Onu | UnconfiguredOnu) -> None:
        """State changes the session may print as alarms before its next prompt."""


def words(line: str) -> list[str]:
    """The words of a command line; quoted text stays one word."""
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()
