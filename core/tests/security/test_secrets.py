"""Secrets at rest: Fernet round trip, key file, wrong keys, rotation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from rjchronos.config import ConfigError, Settings
from rjchronos.security.secrets import KEY_FILE_NAME, SecretBox, SecretError, generate_key


def test_round_trip_hides_the_text() -> None:
    box = SecretBox([generate_key()])
    stored = box.encrypt("olt-password-é")
    assert "olt-password" not in stored
    assert box.decrypt(stored) == "olt-password-é"


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    stored = SecretBox.for_settings(Settings(home=home)).encrypt("community-string")
    key_file = home / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    Fernet(key_file.read_text().strip().encode())  # a valid Fernet key
    assert SecretBox.for_settings(Settings(home=home)).decrypt(stored) == "community-string"
    assert [p.name for p in home.iterdir()] == [KEY_FILE_NAME]  # no temporary file left


def test_environment_key_wins_over_the_key_file(tmp_path: Path) -> None:
    key = generate_key()
    box = SecretBox.for_settings(Settings(home=tmp_path, secret_key=key))
    assert not (tmp_path / KEY_FILE_NAME).exists()
    assert SecretBox([key]).decrypt(box.encrypt("x")) == "x"


def test_wrong_key_error_names_the_problem_and_the_key_source(tmp_path: Path) -> None:
    stored = SecretBox([generate_key()]).encrypt("secret")
    other = SecretBox.for_settings(Settings(home=tmp_path, secret_key=generate_key()))
    with pytest.raises(SecretError, match="encrypted with a different key than RJC_SECRET_KEY"):
        other.decrypt(stored)


def test_plain_text_is_reported_as_not_encrypted() -> None:
    with pytest.raises(SecretError, match="not an encrypted secret"):
        SecretBox([generate_key()]).decrypt("admin123")


def test_rotation_first_key_encrypts_every_key_decrypts() -> None:
    old, new = generate_key(), generate_key()
    written_before = SecretBox([old]).encrypt("before")
    rotated_box = SecretBox.for_settings(Settings(secret_key=f"{new},{old}"))
    assert rotated_box.decrypt(written_before) == "before"
    rewritten = rotated_box.rotate(written_before)
    assert SecretBox([new]).decrypt(rewritten) == "before"
    with pytest.raises(SecretError):
        SecretBox([old]).decrypt(rotated_box.encrypt("after"))


def test_passphrase_keys_are_stretched_and_short_ones_refused() -> None:
    phrase = "a long random passphrase of more than 32 chars"
    assert SecretBox([phrase]).decrypt(SecretBox([phrase]).encrypt("v")) == "v"
    with pytest.raises(ConfigError, match="Fernet key"):
        SecretBox(["short"])
