"""Wi-Fi settings per radio, for one CPE or a group, on TR-098 and TR-181 paths alike.

A change becomes a ``set_parameter_values`` task per device (the password
sealed with ``kernel.secrets`` in the task, blank in the parameter store),
run at the device's next session or at once through ``?wait``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from rjchronos.http.problems import Problem
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.inventory import queries
from rjchronos.inventory.models import devices
from rjchronos.security.audit import mask_secrets
from rjchronos_acs_tr069 import PLUGIN, api, names, tasks
from rjchronos_acs_tr069.models import parameters

WIFI_WRITE = "acs.wifi.write"
#: Most devices a group change reaches in one request.
MAX_GROUP = 5000
_SETTINGS: dict[str, Any] = {
    "radio": {"type": "integer", "enum": list(names.RADIOS), "default": 1},
    "ssid": {"type": "string", "minLength": 1, "maxLength": 32},
    # WPA2-Personal: a passphrase of 8 to 63 printable characters.
    "password": {"type": "string", "minLength": 8, "maxLength": 63, "pattern": "^[ -~]+$"},
    "channel": {"type": "integer", "minimum": 0, "maximum": 233},
    "band": {"enum": ["2.4GHz", "5GHz", "6GHz"]},
}
_ANY_SETTING = {"anyOf": [{"required": [f]} for f in ("ssid", "password", "channel", "band")]}
WIFI_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": _SETTINGS,
    **_ANY_SETTING,
}
GROUP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **_SETTINGS,
        "devices": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 26},
            "minItems": 1,
            "maxItems": MAX_GROUP,
            "uniqueItems": True,
        },
        "tag": {"type": "string", "minLength": 1, "maxLength": 64},
    },
    "allOf": [_ANY_SETTING, {"oneOf": [{"required": ["devices"]}, {"required": ["tag"]}]}],
}


class NotWritable(ValueError):
    """A setting the device's data model has no standard parameter for."""

    def __init__(self, field: str, root: str) -> None:
        super().__init__(f"{field} has no standard parameter in {root.rstrip('.')}")
        self.field = field


def values_for(root: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The parameter values that apply ``settings`` on a device of data model ``root``."""
    radio = settings.get("radio", 1)
    values: dict[str, Any] = {}
    for field in ("ssid", "password", "channel", "band"):
        if field not in settings:
            continue
        path = names.path(f"wifi.{radio}.{field}", root)
        if path is None:
            raise NotWritable(field, root)
        values[path] = settings[field]
    return values


def _root(session: Any, device_id: str) -> str | None:
    any_path = session.execute(
        select(parameters.c.path).where(parameters.c.device_id == device_id).limit(1)
    ).scalar()
    return names.root_of([any_path]) if any_path else None


def _settings(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in _SETTINGS}


def _queue(call: ApiCall, device_id: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Queue one device's change: its task, or why it cannot take it."""
    with call.kernel.db.session() as session:
        root = _root(session, device_id)
    if root is None:
        return {"device_id": device_id, "error": "the CPE has not reported its data model yet"}
    try:
        values = values_for(root, settings)
    except NotWritable as exc:
        return {"device_id": device_id, "error": str(exc), "field": f"body.{exc.field}"}
    ttl = float(call.kernel.plugin_settings(PLUGIN).get("task_ttl_seconds", api.DEFAULT_TASK_TTL))
    body = {"type": "set_parameter_values", "values": values}
    task = tasks.create_task(call.kernel, device_id, body, actor=call.user.actor, ttl=ttl)
    return tasks.render(task)


async def set_device_wifi(call: ApiCall) -> dict[str, Any]:
    """Change one CPE's Wi-Fi (SSID, password, channel, band of one radio); ``?wait`` as tasks."""
    task = await run_in_threadpool(_set_device_wifi, call)
    return await api.wait_for(call, task)


def _set_device_wifi(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        api.visible_cpe(call, session, WIFI_WRITE)
    settings = _settings(call.body)
    queued = _queue(call, call.path["id"], settings)
    if "field" in queued:
        reason = [{"name": queued["field"], "reason": queued["error"]}]
        raise Problem(422, "Wi-Fi change refused", queued["error"], invalid_params=reason)
    if "error" in queued:
        raise Problem(409, "Wi-Fi change refused", queued["error"])
    details = mask_secrets({**settings, "task": queued["id"]})
    call.audit("acs.wifi.set", f"device:{call.path['id']}", details)
    return queued


def set_group_wifi(call: ApiCall) -> dict[str, Any]:
    """Change the Wi-Fi of listed CPEs or of every CPE with a tag; one task per device."""
    settings = _settings(call.body)
    scopes = call.user.scopes(WIFI_WRITE) or [None]
    with call.kernel.db.session() as session:
        statement = select(devices.c.id).where(devices.c.kind == "cpe")
        scope = queries.scope_condition(scopes)
        if scope is not None:
            statement = statement.where(scope)
        if "tag" in call.body:
            dialect = session.get_bind().dialect.name
            statement = statement.where(queries.tag_condition(call.body["tag"], dialect))
        else:
            statement = statement.where(devices.c.id.in_(call.body["devices"]))
        found = list(session.execute(statement.order_by(devices.c.id).limit(MAX_GROUP)).scalars())
    missing = sorted(set(call.body.get("devices", ())) - set(found))
    results = [_queue(call, device_id, settings) for device_id in found]
    results += [{"device_id": d, "error": "no such CPE"} for d in missing]
    queued = [r["id"] for r in results if "id" in r]
    call.audit(
        "acs.wifi.set_group",
        f"tag:{call.body['tag']}" if "tag" in call.body else "devices",
        mask_secrets({**settings, "tasks": queued, "refused": len(results) - len(queued)}),
    )
    return {"queued": len(queued), "items": results}


def routes() -> list[ApiRoute]:
    tags = ("acs",)
    return [
        ApiRoute(
            "POST",
            "/devices/{id}/wifi",
            set_device_wifi,
            WIFI_WRITE,
            summary="Change the CPE's Wi-Fi (one radio): a task for its next session",
            tags=tags,
            body_schema=WIFI_SCHEMA,
            query={"wait": api.WAIT},
            status_code=201,
        ),
        ApiRoute(
            "POST",
            "/wifi",
            set_group_wifi,
            WIFI_WRITE,
            summary="Change the Wi-Fi of listed CPEs or of every CPE with a tag",
            tags=tags,
            body_schema=GROUP_SCHEMA,
            status_code=201,
        ),
    ]
