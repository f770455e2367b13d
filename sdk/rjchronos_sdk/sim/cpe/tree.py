"""A CPE's parameter tree: object instances over a shared template, values over defaults.

Thousands of simulated CPEs share one :class:`Template` per layout (which tables have how many
instances); a CPE copies the layout only when an AddObject or DeleteObject changes its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rjchronos_sdk.sim.cpe.datamodel import ObjectDef, ParamDef, Schema, generic_name, load_schema

# Vendor extension carrying the Wi-Fi client's RSSI on TR-098, which has no standard parameter.
RSSI_EXTENSION = "X_RJCHRONOS_SignalStrength"
# And its retransmissions (TR-181's AssociatedDevice.{i}.Retransmissions).
RETRANS_EXTENSION = "X_RJCHRONOS_Retransmissions"

_TYPE_DEFAULTS = {
    "boolean": "false",
    "dateTime": "0001-01-01T00:00:00Z",
    "unsignedInt": "0",
    "int": "0",
    "unsignedLong": "0",
    "long": "0",
    "decimal": "0",
}


def default_value(definition: ParamDef) -> str:
    """The value a parameter holds before anyone sets it."""
    if definition.default is not None and definition.type in ("string", "boolean"):
        if definition.type == "boolean" or not definition.enumeration:
            return definition.default
        if definition.default in definition.enumeration:
            return definition.default
    if definition.enumeration:
        return definition.enumeration[0]
    return _TYPE_DEFAULTS.get(definition.type, "")


@dataclass(frozen=True, slots=True)
class Template:
    """The instance layout many CPEs share: parameters and objects in model order."""

    schema: Schema
    params: dict[str, ParamDef]
    objects: dict[str, bool]
    """Every object path (``Device.WiFi.``, ``Device.WiFi.SSID.``, ``Device.WiFi.SSID.1.``)
    with whether it is writable: a table accepts AddObject, an instance DeleteObject."""


def parent_generic(name: str) -> str:
    """The generic object that holds ``name``: ``A.B.{i}.`` and ``A.B.`` are held by ``A.``."""
    parts = name.rstrip(".").split(".")
    if parts[-1] == "{i}":
        parts = parts[:-1]
    parts = parts[:-1]
    return ".".join(parts) + "." if parts else ""


def _instances(schema: Schema, counts: dict[str, list[int]]) -> list[str]:
    """Expand every generic object name into its instance paths, parents first."""
    expanded: dict[str, list[str]] = {}
    result: list[str] = []
    for name in schema.objects:
        parent = parent_generic(name)
        relative = name[len(parent) :]
        per_parent = counts.get(name, [1])
        paths: list[str] = []
        for index, holder in enumerate(expanded.get(parent, [""])):
            if relative.endswith("{i}."):
                count = per_parent[index % len(per_parent)]
                table = holder + relative[: -len("{i}.")]
                paths.extend(f"{table}{number}." for number in range(1, count + 1))
            else:
                paths.append(holder + relative)
        expanded[name] = paths
        result.extend(paths)
    return result


def build_template(model: str, counts: tuple[tuple[str, tuple[int, ...]], ...]) -> Template:
    """Lay out a model with ``counts`` instances per table (one when not given)."""
    return _build_template(model, counts)


@cache
def _build_template(model: str, counts: tuple[tuple[str, tuple[int, ...]], ...]) -> Template:
    schema = load_schema(model)
    instance_paths = _instances(schema, {name: list(numbers) for name, numbers in counts})
    params: dict[str, ParamDef] = {}
    objects: dict[str, bool] = {}
    for path in instance_paths:
        definition = schema.objects[generic_name(path)]
        if definition.is_table:
            objects.setdefault(path.rstrip(".").rpartition(".")[0] + ".", definition.writable)
        objects[path] = definition.writable if definition.is_table else False
        for name, param in definition.params.items():
            params[path + name] = param
        if model == "tr098" and generic_name(path).endswith(".AssociatedDevice.{i}."):
            params[path + RSSI_EXTENSION] = ParamDef(RSSI_EXTENSION, "int", False)
            params[path + RETRANS_EXTENSION] = ParamDef(RETRANS_EXTENSION, "unsignedInt", False)
    # Tables with no instance in this layout still exist as (empty) objects.
    for definition in schema.objects.values():
        if not definition.is_table:
            continue
        holder = parent_generic(definition.name)
        relative = definition.name[len(holder) : -len("{i}.")]
        for path in [p for p in objects if generic_name(p) == holder]:
            objects.setdefault(path + relative, definition.writable)
    return Template(schema=schema, params=params, objects=objects)


_INSTANCE = re.compile(r"\.(\d+)\.$")


class ParameterTree:
    """The parameters and objects one CPE has, with its own values."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.params = template.params
        self.objects = template.objects
        self.values: dict[str, str] = {}
        self._owned = False

    @property
    def schema(self) -> Schema:
        return self.template.schema

    def reset(self) -> None:
        """Back to the template's layout with no value of our own (a factory reset)."""
        self.params = self.template.params
        self.objects = self.template.objects
        self.values = {}
        self._owned = False

    def _own(self) -> None:
        if not self._owned:
            self.params = dict(self.params)
            self.objects = dict(self.objects)
            self._owned = True

    def definition_of(self, table_or_instance: str) -> ObjectDef | None:
        """The object definition behind a table (``X.Y.``) or instance (``X.Y.3.``) path."""
        generic = generic_name(table_or_instance)
        if not generic.endswith("{i}."):
            generic += "{i}."
        return self.schema.objects.get(generic)

    def is_table(self, path: str) -> bool:
        definition = self.definition_of(path)
        return definition is not None and path in self.objects and not _INSTANCE.search(path)

    def add_instance(self, table: str) -> int:
        """Create the next instance of ``table`` with default values; return its number."""
        definition = self.definition_of(table)
        assert definition is not None
        self._own()
        numbers = [
            int(match.group(1))
            for path in self.objects
            if path.startswith(table) and (match := _INSTANCE.fullmatch("." + path[len(table) :]))
        ]
        number = max(numbers, default=0) + 1
        instance = f"{table}{number}."
        self.objects[instance] = definition.writable
        for name, param in definition.params.items():
            self.params[instance + name] = param
        # Sub-objects and sub-tables of the new instance, as the model defines them.
        prefix = definition.name
        for generic, child in self.schema.objects.items():
            if generic == prefix or not generic.startswith(prefix):
                continue
            relative = generic[len(prefix) :]
            if relative.endswith("{i}.") and relative.count("{i}") == 1:
                self.objects[instance + relative[: -len("{i}.")]] = child.writable
            elif "{i}" not in relative:
                self.objects[instance + relative] = False
                for name, param in child.params.items():
                    self.params[instance + relative + name] = param
        return number

    def delete_instance(self, instance: str) -> None:
        """Remove an instance with everything under it."""
        self._own()
        for path in [p for p in self.objects if p.startswith(instance)]:
            del self.objects[path]
        for path in [p for p in self.params if p.startswith(instance)]:
            # A default masks any factory value should the instance number come back.
            self.values[path] = default_value(self.params.pop(path))

    def instance_count(self, table: str) -> int:
        return sum(
            1
            for path in self.objects
            if path.startswith(table) and _INSTANCE.fullmatch("." + path[len(table) :])
        )

    def entries_table(self, path: str) -> str | None:
        """The table whose instance count parameter ``path`` is, if it is one."""
        holder, _, leaf = path.rpartition(".")
        holder += "."
        if not leaf.endswith(("NumberOfEntries", "TotalAssociations")):
            return None
        holder_generic = generic_name(holder)
        for generic, definition in self.schema.objects.items():
            if definition.num_entries_parameter != leaf or not definition.is_table:
                continue
            if leaf == "TotalAssociations":
                # TR-098 counts associated devices inside the instance that owns the table.
                if generic.startswith(holder_generic):
                    return holder + generic[len(holder_generic) : -len("{i}.")]
            elif parent_generic(generic) == holder_generic:
                return holder + generic[len(holder_generic) : -len("{i}.")]
        return None
