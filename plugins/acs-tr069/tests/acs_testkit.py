"""Helpers of the ACS tests: XSD validators and a scripted CPE."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from rjchronos_sdk.testing import serve_asgi

XSD_DIR = Path(__file__).parent / "data" / "xsd"
#: Remote schema locations the CWMP XSDs name, mapped to the local copies.
LOCAL_SCHEMAS = {
    "http://schemas.xmlsoap.org/soap/envelope/": "soap-envelope.xsd",
    "http://schemas.xmlsoap.org/soap/encoding/": "soap-encoding.xsd",
    "http://www.broadband-forum.org/cwmp/cwmp-1-2.xsd": "cwmp-1-2.xsd",
    "http://www.broadband-forum.org/cwmp/cwmp-1-3.xsd": "cwmp-1-3.xsd",
}
#: The schema that validates each CWMP version (1.2 to 1.4 share a namespace).
VERSION_SCHEMAS = {
    "1.0": "cwmp-1-0.xsd",
    "1.1": "cwmp-1-1.xsd",
    "1.2": "cwmp-1-2.xsd",
    "1.3": "cwmp-1-3.xsd",
    "1.4": "cwmp-1-4.xsd",
}


class LocalSchemas(etree.Resolver):
    """Resolves the remote schema URLs to files in tests/data/xsd; nothing else."""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        name = LOCAL_SCHEMAS.get(system_url)
        if name is None:
            return None
        return self.resolve_filename(str(XSD_DIR / name), context)


@cache
def cwmp_schema(version: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(LocalSchemas())
    document = etree.parse(str(XSD_DIR / VERSION_SCHEMAS[version]), parser)
    return etree.XMLSchema(document)


def assert_valid(message: bytes, version: str) -> None:
    """Fail, with the schema's complaints, when ``message`` does not validate."""
    schema = cwmp_schema(version)
    document = etree.fromstring(message)
    if not schema.validate(document):
        errors = "\n".join(str(e) for e in schema.error_log)
        raise AssertionError(f"not valid CWMP {version}:\n{errors}\n{message.decode()}")


# -- an ACS and a scripted CPE ---------------------------------------------------

CPE_USER, CPE_PASSWORD = "cpe", "s3cret-cpe"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def acs_settings(**overrides: Any) -> dict[str, Any]:
    return {"cpe_username": CPE_USER, "cpe_password": CPE_PASSWORD, **overrides}


def parameter_list(parameters: dict[str, tuple[str, str]], count: int | None = None) -> str:
    items = "".join(
        f"<ParameterValueStruct><Name>{name}</Name>"
        f'<Value xsi:type="xsd:{kind}">{value}</Value></ParameterValueStruct>'
        for name, (value, kind) in parameters.items()
    )
    n = len(parameters) if count is None else count
    return (
        f'<ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[{n}]">'
        f"{items}</ParameterList>"
    )


def wrap(namespace: str, body: str, cwmp_id: str = "1", header: str = "") -> bytes:
    return (
        f'<soap-env:Envelope xmlns:soap-env="{SOAP_ENV}" '
        'xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns:cwmp="{namespace}"><soap-env:Header>'
        f'<cwmp:ID soap-env:mustUnderstand="1">{cwmp_id}</cwmp:ID>{header}</soap-env:Header>'
        f"<soap-env:Body>{body}</soap-env:Body></soap-env:Envelope>"
    ).encode()


class ScriptedCpe:
    """A CPE written out step by step: it sends what a test says and reads what comes back."""

    def __init__(
        self,
        http: Any,
        *,
        namespace: str = "urn:dslforum-org:cwmp-1-0",
        oui: str = "00259E",
        product_class: str = "HG8245",
        serial: str = "485754430A1B2C3D",
        auth: Any = (CPE_USER, CPE_PASSWORD),
    ) -> None:
        self.http = http
        self.namespace = namespace
        self.oui, self.product_class, self.serial = oui, product_class, serial
        self.auth = auth
        self.last: Any = None

    def inform_body(
        self,
        events: tuple[str, ...] = ("1 BOOT",),
        parameters: dict[str, tuple[str, str]] | None = None,
    ) -> str:
        parameters = parameters if parameters is not None else DEFAULT_PARAMETERS
        event_items = "".join(
            f"<EventStruct><EventCode>{e}</EventCode><CommandKey></CommandKey></EventStruct>"
            for e in events
        )
        return (
            "<cwmp:Inform><DeviceId><Manufacturer>Huawei</Manufacturer>"
            f"<OUI>{self.oui}</OUI><ProductClass>{self.product_class}</ProductClass>"
            f"<SerialNumber>{self.serial}</SerialNumber></DeviceId>"
            f'<Event soap-enc:arrayType="cwmp:EventStruct[{len(events)}]">{event_items}</Event>'
            "<MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-01-01T00:00:00Z</CurrentTime>"
            f"<RetryCount>0</RetryCount>{parameter_list(parameters)}</cwmp:Inform>"
        )

    def inform(self, events: tuple[str, ...] = ("1 BOOT",), header: str = "", **kw: Any) -> Any:
        body = wrap(self.namespace, self.inform_body(events, **kw), "inform-1", header)
        return self.post(body)

    def post(self, body: bytes = b"", **kw: Any) -> Any:
        kw.setdefault("auth", self.auth)
        headers = {"Content-Type": 'text/xml; charset="utf-8"', **kw.pop("headers", {})}
        self.last = self.http.post("/", content=body, headers=headers, **kw)
        return self.last

    def answer(self, body: str) -> Any:
        """Answer the ACS's last request (its cwmp:ID echoed)."""
        return self.post(wrap(self.namespace, body, read(self.last).cwmp_id or ""))

    def fault(self, code: int, message: str, extra: str = "") -> Any:
        return self.answer(
            "<soap-env:Fault><faultcode>Client</faultcode><faultstring>CWMP fault</faultstring>"
            f"<detail><cwmp:Fault><FaultCode>{code}</FaultCode><FaultString>{message}"
            f"</FaultString>{extra}</cwmp:Fault></detail></soap-env:Fault>"
        )


DEFAULT_PARAMETERS = {
    "InternetGatewayDevice.DeviceInfo.SoftwareVersion": ("V3R017C10S120", "string"),
    "InternetGatewayDevice.DeviceInfo.HardwareVersion": ("10C7.A", "string"),
    "InternetGatewayDevice.DeviceInfo.ModelName": ("EchoLife HG8245H", "string"),
    "InternetGatewayDevice.ManagementServer.ConnectionRequestURL": (
        "http://100.64.1.10:7547/cr",
        "string",
    ),
    "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress": (
        "100.64.1.10",
        "string",
    ),
    "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.MACAddress": (
        "00:25:9E:11:E7:0E",
        "string",
    ),
}


def read(response: Any) -> Any:
    """The ACS's envelope in a response (method, body element, cwmp:ID)."""
    from rjchronos_acs_tr069.messages import read_envelope
    from rjchronos_acs_tr069.xmlsafe import parse_xml

    assert response.content, f"empty answer (HTTP {response.status_code})"
    return read_envelope(parse_xml(response.content))


served = serve_asgi
