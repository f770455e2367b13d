"""The Broadband Forum data models the simulated CPEs expose.

Each model is read from the Broadband Forum's full XML definition shipped beside this module,
once per process, and reduced to the objects a real home gateway or ONT carries. Names, types,
writability, enumerations and notification rules come from the XML; only the choice of objects
and how many instances each table has are ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from lxml import etree

MODELS = ("tr098", "tr181")

_FILES = {"tr098": "tr-098-1-8-0-full.xml", "tr181": "tr-181-2-17-0-cwmp-full.xml"}
_ROOTS = {"tr098": "InternetGatewayDevice.", "tr181": "Device."}

# Objects every simulated CPE carries, by model. A table's parents must be listed too.
_SUBSETS: dict[str, tuple[str, ...]] = {
    "tr098": (
        "InternetGatewayDevice.",
        "InternetGatewayDevice.DeviceInfo.",
        "InternetGatewayDevice.DeviceInfo.MemoryStatus.",
        "InternetGatewayDevice.DeviceInfo.ProcessStatus.",
        "InternetGatewayDevice.ManagementServer.",
        "InternetGatewayDevice.LANDevice.{i}.",
        "InternetGatewayDevice.LANDevice.{i}.LANHostConfigManagement.",
        "InternetGatewayDevice.LANDevice.{i}.WLANConfiguration.{i}.",
        "InternetGatewayDevice.LANDevice.{i}.WLANConfiguration.{i}.AssociatedDevice.{i}.",
        "InternetGatewayDevice.LANDevice.{i}.WLANConfiguration.{i}.PreSharedKey.{i}.",
        "InternetGatewayDevice.LANDevice.{i}.Hosts.",
        "InternetGatewayDevice.LANDevice.{i}.Hosts.Host.{i}.",
        "InternetGatewayDevice.WANDevice.{i}.",
        "InternetGatewayDevice.WANDevice.{i}.WANCommonInterfaceConfig.",
        "InternetGatewayDevice.WANDevice.{i}.WANConnectionDevice.{i}.",
        "InternetGatewayDevice.WANDevice.{i}.WANConnectionDevice.{i}.WANIPConnection.{i}.",
        "InternetGatewayDevice.WANDevice.{i}.WANConnectionDevice.{i}.WANPPPConnection.{i}.",
        "InternetGatewayDevice.IPPingDiagnostics.",
        "InternetGatewayDevice.TraceRouteDiagnostics.",
        "InternetGatewayDevice.TraceRouteDiagnostics.RouteHops.{i}.",
        "InternetGatewayDevice.DownloadDiagnostics.",
        "InternetGatewayDevice.UploadDiagnostics.",
    ),
    "tr181": (
        "Device.",
        "Device.DeviceInfo.",
        "Device.DeviceInfo.MemoryStatus.",
        "Device.DeviceInfo.ProcessStatus.",
        "Device.ManagementServer.",
        "Device.Optical.",
        "Device.Optical.Interface.{i}.",
        "Device.Optical.Interface.{i}.Stats.",
        "Device.WiFi.",
        "Device.WiFi.Radio.{i}.",
        "Device.WiFi.Radio.{i}.Stats.",
        "Device.WiFi.SSID.{i}.",
        "Device.WiFi.SSID.{i}.Stats.",
        "Device.WiFi.AccessPoint.{i}.",
        "Device.WiFi.AccessPoint.{i}.Security.",
        "Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.",
        "Device.PPP.",
        "Device.PPP.Interface.{i}.",
        "Device.IP.",
        "Device.IP.Interface.{i}.",
        "Device.IP.Interface.{i}.IPv4Address.{i}.",
        "Device.IP.Diagnostics.",
        "Device.IP.Diagnostics.IPPing.",
        "Device.IP.Diagnostics.TraceRoute.",
        "Device.IP.Diagnostics.TraceRoute.RouteHops.{i}.",
        "Device.IP.Diagnostics.DownloadDiagnostics.",
        "Device.IP.Diagnostics.UploadDiagnostics.",
        "Device.Hosts.",
        "Device.Hosts.Host.{i}.",
    ),
}

_BASE_TYPES = (
    "string",
    "boolean",
    "unsignedInt",
    "int",
    "unsignedLong",
    "long",
    "dateTime",
    "base64",
    "hexBinary",
    "decimal",
)


@dataclass(frozen=True, slots=True)
class ParamDef:
    """One parameter of the model: its type as an XSD name and what may be written to it."""

    name: str
    type: str
    writable: bool
    enumeration: tuple[str, ...] = ()
    writable_values: tuple[str, ...] = ()
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    is_list: bool = False
    active_notify: str = "normal"
    default: str | None = None


@dataclass(slots=True)
class ObjectDef:
    """One object of the model, by its generic name (``Device.WiFi.SSID.{i}.``)."""

    name: str
    writable: bool
    num_entries_parameter: str | None
    params: dict[str, ParamDef] = field(default_factory=dict)

    @property
    def is_table(self) -> bool:
        return self.name.endswith(".{i}.")


@dataclass(slots=True)
class Schema:
    """The subset of one Broadband Forum model that simulated CPEs carry."""

    model: str
    root: str
    objects: dict[str, ObjectDef]


@dataclass(slots=True)
class _TypeInfo:
    type: str = "string"
    enumeration: list[str] = field(default_factory=list)
    writable_values: list[str] = field(default_factory=list)
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None


def _merge_facets(info: _TypeInfo, element: etree._Element) -> None:
    """Fold the facets (size, range, enumeration) of a type element into ``info``."""
    for child in element:
        tag = child.tag
        if tag == "size" and child.get("maxLength"):
            info.max_length = int(child.get("maxLength", "0"))
        elif tag == "range":
            if child.get("minInclusive") is not None:
                info.minimum = int(child.get("minInclusive", "0"))
            if child.get("maxInclusive") is not None:
                info.maximum = int(child.get("maxInclusive", "0"))
        elif tag == "enumeration":
            value = child.get("value", "")
            if value not in info.enumeration:
                info.enumeration.append(value)
            if child.get("access") != "readOnly" and value not in info.writable_values:
                info.writable_values.append(value)


def _data_types(root: etree._Element) -> dict[str, etree._Element]:
    return {el.get("name", ""): el for el in root.iterfind("dataType")}


def _resolve(name: str, types: dict[str, etree._Element], info: _TypeInfo) -> None:
    """Walk a named data type down to its XSD base type, collecting facets on the way."""
    element = types.get(name)
    if element is None:
        return
    if element.get("base"):
        _resolve(element.get("base", ""), types, info)
        _merge_facets(info, element)
        return
    for child in element:
        if child.tag in _BASE_TYPES:
            info.type = child.tag
            _merge_facets(info, child)


def _param_def(element: etree._Element, types: dict[str, etree._Element]) -> ParamDef:
    info = _TypeInfo()
    syntax = element.find("syntax")
    is_list = False
    default: str | None = None
    if syntax is not None:
        for child in syntax:
            if child.tag == "list":
                is_list = True
            elif child.tag == "default":
                default = child.get("value")
            elif child.tag == "dataType":
                _resolve(child.get("ref", child.get("base", "")), types, info)
                _merge_facets(info, child)
            elif child.tag in _BASE_TYPES:
                info.type = child.tag
                _merge_facets(info, child)
    if is_list:
        # A list travels as one comma-separated string whatever its items' type.
        info = _TypeInfo(type="string", max_length=info.max_length)
    return ParamDef(
        name=element.get("name", ""),
        type=info.type,
        writable=element.get("access") == "readWrite",
        enumeration=tuple(info.enumeration),
        writable_values=tuple(info.writable_values),
        max_length=info.max_length,
        minimum=info.minimum,
        maximum=info.maximum,
        is_list=is_list,
        active_notify=element.get("activeNotify", "normal"),
        default=default,
    )


@cache
def load_schema(model: str) -> Schema:
    """Read the model's XML (once per process) and return the simulated subset."""
    if model not in _FILES:
        raise ValueError(f"unknown data model {model!r}; expected one of {', '.join(MODELS)}")
    wanted = set(_SUBSETS[model])
    source = resources.files(__package__).joinpath("data", _FILES[model]).read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    document = etree.fromstring(source, parser)
    # Drop the "dm:" namespace so tags read as plain names.
    for element in document.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = etree.QName(element).localname
    types = _data_types(document)
    model_element = document.find("model")
    assert model_element is not None
    objects: dict[str, ObjectDef] = {}
    for element in model_element.iterfind("object"):
        name = element.get("name") or element.get("base", "")
        if name not in wanted:
            continue
        obj = objects.setdefault(
            name,
            ObjectDef(name, element.get("access") == "readWrite", None),
        )
        obj.num_entries_parameter = element.get("numEntriesParameter", obj.num_entries_parameter)
        for param in element.iterfind("parameter"):
            pname = param.get("name") or param.get("base", "")
            if param.get("status") in ("deleted", "obsoleted"):
                continue
            if param.get("base") and pname in obj.params:
                continue
            obj.params[pname] = _param_def(param, types)
    missing = wanted - objects.keys()
    if missing:
        raise LookupError(f"{model}: objects missing from the XML: {sorted(missing)}")
    ordered = {name: objects[name] for name in _SUBSETS[model]}
    return Schema(model=model, root=_ROOTS[model], objects=ordered)


def generic_name(path: str) -> str:
    """``Device.WiFi.SSID.2.SSID`` -> ``Device.WiFi.SSID.{i}.SSID``."""
    return ".".join("{i}" if part.isdigit() else part for part in path.split("."))
