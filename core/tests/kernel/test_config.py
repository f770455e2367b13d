"""Settings: file, environment and overrides, with errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from rjchronos.config import ConfigError, Settings, load_settings


def test_defaults_put_sqlite_under_home(tmp_path: Path) -> None:
    settings = load_settings({"RJC_HOME": str(tmp_path)})
    assert settings.home == tmp_path
    assert settings.database == f"sqlite:///{tmp_path.resolve() / 'rjchronos.db'}"
    assert settings.embedded_broker
    assert (settings.host, settings.port, settings.role) == ("127.0.0.1", 8000, "all")


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    (tmp_path / "rjchronos.toml").write_text(
        'port = 9000\nrole = "api"\nblocked_plugins = ["a"]\n[plugins.acs-tr069]\nport = 7000\n'
    )
    environ = {"RJC_HOME": str(tmp_path), "RJC_PORT": "9100", "RJC_PLUGIN__ACS_TR069__TLS": "true"}
    settings = load_settings(environ, overrides={"role": "acs"})
    assert settings.port == 9100
    assert settings.role == "acs"
    assert settings.blocked_plugins == ("a",)
    assert settings.plugins["acs-tr069"] == {"port": 7000, "tls": True}


def test_comma_separated_lists_and_booleans_from_environment() -> None:
    settings = load_settings({"RJC_BLOCKED_PLUGINS": "a, b", "RJC_STRICT_PLUGINS": "yes"})
    assert settings.blocked_plugins == ("a", "b")
    assert settings.strict_plugins is True


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"RJC_PORT": "eighty"}, "setting port: cannot use 'eighty'"),
        ({"RJC_ROLE": "everything"}, "setting role: cannot use 'everything'"),
        ({"RJC_STRICT_PLUGINS": "maybe"}, "setting strict_plugins"),
    ],
)
def test_bad_values_name_the_setting(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ)


def test_unknown_key_in_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "rjchronos.toml").write_text("prot = 1\n")
    with pytest.raises(ConfigError, match=r"unknown settings \['prot'\]"):
        load_settings({"RJC_HOME": str(tmp_path)})


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "custom.toml"
    config.write_text("port = \n")
    with pytest.raises(ConfigError, match="custom.toml"):
        load_settings({"RJC_CONFIG": str(config)})


def test_with_overrides_ignores_none() -> None:
    settings = Settings().with_overrides(port=None, host="0.0.0.0")
    assert (settings.host, settings.port) == ("0.0.0.0", 8000)
