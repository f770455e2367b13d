"""The ZXAN platform's prompt patterns against the prompts ZXAN prints."""

from __future__ import annotations

import pytest

from rjchronos_olt_zte import platform


@pytest.mark.parametrize(
    ("prompt", "level"),
    [
        ("ZXAN>", "exec"),
        ("ZXAN#", "privilege_exec"),
        ("OLT-C320-CENTRO#", "privilege_exec"),
        ("ZXAN(config)#", "configuration"),
        ("ZXAN(config-if)#", "configuration"),
        ("ZXAN(config-if-gpon-onu_1/1/1:1)#", "configuration"),
        ("ZXAN(gpon-onu-mng)#", "configuration"),
        ("ZXAN(gpon-onu-mng 1/1/1:1)#", None),
        ("Password:", None),
        ("gpon-onu_1/1/1:1    -18.955(dbm)", None),
        ("ONU Number: 4/7", None),
    ],
)
def test_prompts(prompt: str, level: str | None) -> None:
    assert platform.level_of(prompt) == level


def test_levels_chain_back_to_exec() -> None:
    levels = platform.PRIVILEGE_LEVELS
    assert levels["configuration"].previous == "privilege_exec"
    assert levels["privilege_exec"].previous == "exec"
    assert levels["privilege_exec"].escalate == "enable"
    assert levels["configuration"].escalate == "configure terminal"
    assert platform.DEFAULT_DESIRED_PRIVILEGE_LEVEL in levels
    assert platform.ON_OPEN_COMMANDS == ("terminal length 0",)


def test_every_failure_string_is_caught_by_the_error_pattern() -> None:
    for text in platform.FAILED_WHEN_CONTAINS:
        assert platform.ERROR_PATTERN.search(f"{text} 20209: something")
