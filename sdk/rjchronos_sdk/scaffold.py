"""Create a plugin package from the templates in ``rjchronos_sdk/templates``.

The ``common`` template holds what every plugin has (pyproject with the
entry point, a hooks module with a route, a permission and a menu item,
tests, README); a kind's folder adds its driver and overrides files of the
same path. ``__package__`` in a path becomes the import package; ``$name``
style placeholders in a ``.tmpl`` file are filled by :class:`string.Template`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

import rjchronos

KINDS = ("generic", "notify", "analyze", "olt")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_ENTRY_POINTS = {
    "notify": ("rjchronos.notifiers", "notifier", "Notifier"),
    "analyze": ("rjchronos.analyzers", "analyzer", "Analyzer"),
    "olt": ("rjchronos.drivers.olt", "driver", "OltDriver"),
}


class ScaffoldError(ValueError):
    """The plugin cannot be created as asked; the message says why."""


@dataclass(frozen=True)
class PluginNames:
    """Every name a new plugin is known by."""

    name: str  # plugin and entry point name: notify-sms
    short: str  # the name without its kind: sms (also the driver's name)
    distribution: str  # rjchronos-notify-sms
    package: str  # rjchronos_notify_sms
    title: str  # Sms (class names)
    label: str  # Sms (the menu item)
    permission: str  # notify_sms.read
    settings_env: str  # RJC_PLUGIN__NOTIFY_SMS__ (prefix of its settings' variables)
    kind: str
    core_range: str  # >=0.1,<0.2
    driver_entry_points: str  # pyproject lines registering the driver, if any


@dataclass(frozen=True)
class CreatedPlugin:
    distribution: str
    path: Path


def plugin_names(name: str, kind: str) -> PluginNames:
    """Derive the distribution, package, permission and class names from ``name``."""
    if kind not in KINDS:
        raise ScaffoldError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    name = name.strip()
    if name.startswith("rjchronos-"):
        name = name.removeprefix("rjchronos-")
    if not _NAME.match(name):
        raise ScaffoldError(
            f"plugin name {name!r}: use lowercase letters and digits in words joined by dashes, "
            "starting with a letter (e.g. acme-portal)"
        )
    if kind != "generic" and not name.startswith(f"{kind}-"):
        name = f"{kind}-{name}"
    short = name.removeprefix(f"{kind}-") if kind != "generic" else name
    package = "rjchronos_" + name.replace("-", "_")
    title = "".join(word.capitalize() for word in short.split("-"))
    entry_points = ""
    if kind in _ENTRY_POINTS:
        group, module, suffix = _ENTRY_POINTS[kind]
        target = f"{package}.{module}:{title}{suffix}"
        entry_points = f'\n[project.entry-points."{group}"]\n{short} = "{target}"\n'
    major, minor = (int(part) for part in rjchronos.__version__.split(".")[:2])
    return PluginNames(
        name=name,
        short=short,
        distribution=f"rjchronos-{name}",
        package=package,
        title=title,
        label=" ".join(word.capitalize() for word in short.split("-")),
        permission=name.replace("-", "_") + ".read",
        settings_env="RJC_PLUGIN__" + name.upper().replace("-", "_") + "__",
        kind=kind,
        core_range=f">={major}.{minor},<{major}.{minor + 1}",
        driver_entry_points=entry_points,
    )


def create_plugin(name: str, *, kind: str = "generic", parent: str | Path = ".") -> CreatedPlugin:
    """Write a new plugin package into ``parent/<name>`` and return where it went."""
    names = plugin_names(name, kind)
    target = Path(parent) / names.name
    if target.exists():
        raise ScaffoldError(f"{target} already exists; choose another name or --dir")
    files = _template_files("common")
    if kind != "generic":
        files.update(_template_files(kind))
    values = {key: str(value) for key, value in asdict(names).items()}
    for relative, source in sorted(files.items()):
        destination = target / relative.replace("__package__", names.package)
        text = source.read_text(encoding="utf-8")
        if destination.suffix == ".tmpl":
            destination = destination.with_suffix("")
            text = Template(text).substitute(values)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8")
    return CreatedPlugin(names.distribution, target)


def _template_files(template: str) -> dict[str, Traversable]:
    root = resources.files("rjchronos_sdk").joinpath("templates", template)
    found: dict[str, Traversable] = {}

    def walk(folder: Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.name == "__pycache__":
                continue
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            else:
                found[prefix + entry.name] = entry

    walk(root, "")
    return found
