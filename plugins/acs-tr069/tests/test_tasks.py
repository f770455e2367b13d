"""Tasks: queued through the API, run at the CPE's next session, results and faults stored."""

from __future__ import annotations

import json
from typing import Any

from acs_testkit import ScriptedCpe, read
from sqlalchemy import text

from rjchronos.inventory import service

IDENTITY = "00259E-HG8245-485754430A1B2C3D"
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
CHANNEL = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Channel"


def known_device(cpe: ScriptedCpe, kernel: Any) -> str:
    """Let the CPE inform once so inventory knows it; its device id."""
    cpe.inform()
    assert cpe.post().status_code == 204
    device = service.find_device(kernel, identity=IDENTITY)
    assert device is not None
    return device.id


def queue(api: Any, device_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/api/v1/devices/{device_id}/tasks", json=body)
    assert response.status_code == 201, response.text
    task = response.json()
    assert task["status"] == "pending" and task["fault"] is None
    return task


def task_of(api: Any, device_id: str, task_id: str) -> dict[str, Any]:
    items = api.get(f"/api/v1/devices/{device_id}/tasks").json()["items"]
    return next(t for t in items if t["id"] == task_id)


def gpv_response(values: dict[str, tuple[str, str]]) -> str:
    items = "".join(
        f'<ParameterValueStruct><Name>{n}</Name><Value xsi:type="xsd:{t}">{v}</Value>'
        "</ParameterValueStruct>"
        for n, (v, t) in values.items()
    )
    return (
        "<cwmp:GetParameterValuesResponse>"
        f'<ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[{len(values)}]">'
        f"{items}</ParameterList></cwmp:GetParameterValuesResponse>"
    )


def test_get_parameter_values_runs_at_the_next_session(
    cpe: ScriptedCpe, acs_kernel: Any, api: Any, validate: Any
) -> None:
    device_id = known_device(cpe, acs_kernel)
    task = queue(api, device_id, {"type": "get_parameter_values", "paths": [SSID, CHANNEL]})
    cpe.inform(events=("2 PERIODIC",))
    request = read(cpe.post())
    assert request.method == "GetParameterValues"
    assert [s.text for s in request.body[0]] == [SSID, CHANNEL]
    validate(cpe.last.content, "1.0")
    assert task_of(api, device_id, task["id"])["status"] == "running"
    end = cpe.answer(gpv_response({SSID: ("casa", "string"), CHANNEL: ("6", "unsignedInt")}))
    assert end.status_code == 204
    done = task_of(api, device_id, task["id"])
    assert done["status"] == "done"
    assert done["result"]["values"] == {SSID: "casa", CHANNEL: "6"}
    stored = api.get(
        f"/api/v1/devices/{device_id}/parameters",
        params={"prefix": "InternetGatewayDevice.LANDevice."},
    ).json()["items"]
    assert [(p["path"], p["value"], p["type"]) for p in stored] == [
        (CHANNEL, "6", "unsignedInt"),
        (SSID, "casa", "string"),
    ]


def test_set_parameter_values_updates_the_store_and_is_audited(
    cpe: ScriptedCpe, acs_kernel: Any, api: Any, validate: Any
) -> None:
    device_id = known_device(cpe, acs_kernel)
    task = queue(
        api, device_id, {"type": "set_parameter_values", "values": {SSID: "nova", CHANNEL: 11}}
    )
    cpe.inform(events=("6 CONNECTION REQUEST",))
    request = read(cpe.post())
    assert request.method == "SetParameterValues"
    validate(cpe.last.content, "1.0")
    assert b'xsi:type="xsd:unsignedInt">11<' in cpe.last.content
    end = cpe.answer(
        "<cwmp:SetParameterValuesResponse><Status>0</Status></cwmp:SetParameterValuesResponse>"
    )
    assert end.status_code == 204
    done = task_of(api, device_id, task["id"])
    assert done["status"] == "done" and done["result"]["Status"] == "0"
    stored = {
        p["path"]: p["value"]
        for p in api.get(f"/api/v1/devices/{device_id}/parameters").json()["items"]
    }
    assert stored[SSID] == "nova" and stored[CHANNEL] == "11"
    with acs_kernel.db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT target, params FROM audit_entries WHERE action = 'acs.tasks.create'")
        ).all()
    assert len(rows) == 1
    params = rows[0][1] if isinstance(rows[0][1], dict) else json.loads(rows[0][1])
    assert rows[0][0] == f"device:{device_id}" and params["task"] == task["id"]


def test_a_cpe_fault_is_stored_with_its_meaning(
    cpe: ScriptedCpe, acs_kernel: Any, api: Any
) -> None:
    device_id = known_device(cpe, acs_kernel)
    task = queue(api, device_id, {"type": "set_parameter_values", "values": {"X.Bad": "1"}})
    following = queue(api, device_id, {"type": "reboot"})
    cpe.inform()
    assert read(cpe.post()).method == "SetParameterValues"
    detail = (
        "<SetParameterValuesFault><ParameterName>X.Bad</ParameterName>"
        "<FaultCode>9005</FaultCode><FaultString>no such</FaultString></SetParameterValuesFault>"
    )
    after_fault = read(cpe.fault(9003, "Invalid arguments", detail))
    assert after_fault.method == "Reboot"  # the queue goes on
    faulted = task_of(api, device_id, task["id"])
    assert faulted["status"] == "fault"
    assert faulted["fault"]["code"] == 9003
    assert faulted["fault"]["meaning"] == "Invalid arguments"
    assert faulted["fault"]["parameters"] == [
        {"path": "X.Bad", "code": 9005, "message": "no such", "meaning": "Invalid parameter name"}
    ]
    assert cpe.answer("<cwmp:RebootResponse/>").status_code == 204
    assert task_of(api, device_id, following["id"])["status"] == "done"


def test_vendor_faults_are_named_as_such(cpe: ScriptedCpe, acs_kernel: Any, api: Any) -> None:
    device_id = known_device(cpe, acs_kernel)
    task = queue(api, device_id, {"type": "factory_reset"})
    cpe.inform()
    assert read(cpe.post()).method == "FactoryReset"
    cpe.fault(9850, "vendor says no")
    assert task_of(api, device_id, task["id"])["fault"]["meaning"] == "Vendor-specific fault"


def test_refresh_reads_names_then_values(
    cpe: ScriptedCpe, acs_kernel: Any, api: Any, validate: Any
) -> None:
    device_id = known_device(cpe, acs_kernel)
    prefix = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1."
    task = queue(api, device_id, {"type": "refresh", "path": prefix})
    cpe.inform()
    names = read(cpe.post())
    assert names.method == "GetParameterNames"
    validate(cpe.last.content, "1.0")
    values = read(
        cpe.answer(
            "<cwmp:GetParameterNamesResponse>"
            '<ParameterList soap-enc:arrayType="cwmp:ParameterInfoStruct[3]">'
            f"<ParameterInfoStruct><Name>{prefix}</Name><Writable>0</Writable></ParameterInfoStruct>"
            f"<ParameterInfoStruct><Name>{SSID}</Name><Writable>1</Writable></ParameterInfoStruct>"
            f"<ParameterInfoStruct><Name>{CHANNEL}</Name><Writable>true</Writable>"
            "</ParameterInfoStruct></ParameterList></cwmp:GetParameterNamesResponse>"
        )
    )
    assert values.method == "GetParameterValues"
    assert [s.text for s in values.body[0]] == [SSID, CHANNEL]
    assert (
        cpe.answer(gpv_response({SSID: ("x", "string"), CHANNEL: ("1", "unsignedInt")})).status_code
        == 204
    )
    assert task_of(api, device_id, task["id"])["status"] == "done"
    stored = api.get(f"/api/v1/devices/{device_id}/parameters", params={"prefix": prefix}).json()
    by_path = {p["path"]: p for p in stored["items"]}
    assert by_path[SSID]["writable"] is True and by_path[SSID]["value"] == "x"
    assert by_path[prefix]["writable"] is False


def test_objects_reboot_and_reset(
    cpe: ScriptedCpe, acs_kernel: Any, api: Any, validate: Any
) -> None:
    device_id = known_device(cpe, acs_kernel)
    obj = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice."
    added = queue(api, device_id, {"type": "add_object", "object": obj})
    deleted = queue(
        api, device_id, {"type": "delete_object", "object": "InternetGatewayDevice.WANDevice.1."}
    )
    cpe.inform()
    assert read(cpe.post()).method == "AddObject"
    validate(cpe.last.content, "1.0")
    request = read(
        cpe.answer(
            "<cwmp:AddObjectResponse><InstanceNumber>2</InstanceNumber><Status>0</Status>"
            "</cwmp:AddObjectResponse>"
        )
    )
    assert request.method == "DeleteObject"
    validate(cpe.last.content, "1.0")
    assert (
        cpe.answer(
            "<cwmp:DeleteObjectResponse><Status>0</Status></cwmp:DeleteObjectResponse>"
        ).status_code
        == 204
    )
    assert task_of(api, device_id, added["id"])["result"]["InstanceNumber"] == "2"
    assert task_of(api, device_id, deleted["id"])["status"] == "done"
    left = api.get(
        f"/api/v1/devices/{device_id}/parameters",
        params={"prefix": "InternetGatewayDevice.WANDevice.1."},
    ).json()["items"]
    assert left == []  # the deleted object's stored parameters went with it


def test_expired_tasks_are_not_sent(cpe: ScriptedCpe, acs_kernel: Any, api: Any) -> None:
    device_id = known_device(cpe, acs_kernel)
    task = queue(api, device_id, {"type": "reboot"})
    with acs_kernel.db.engine.begin() as connection:
        connection.execute(
            text("UPDATE acs_tasks SET expires_at = created_at WHERE id = :id"), {"id": task["id"]}
        )
    cpe.inform()
    assert cpe.post().status_code == 204
    assert task_of(api, device_id, task["id"])["status"] == "expired"


def test_a_task_interrupted_with_its_session_runs_again(
    cpe: ScriptedCpe, acs_kernel: Any, api: Any, acs_http: Any
) -> None:
    device_id = known_device(cpe, acs_kernel)
    task = queue(api, device_id, {"type": "reboot"})
    cpe.inform()
    assert read(cpe.post()).method == "Reboot"  # and the CPE never answers
    cpe.inform()  # its next session
    assert read(cpe.post()).method == "Reboot"
    assert cpe.answer("<cwmp:RebootResponse/>").status_code == 204
    assert task_of(api, device_id, task["id"])["status"] == "done"


def test_bad_task_bodies_name_the_field(cpe: ScriptedCpe, acs_kernel: Any, api: Any) -> None:
    device_id = known_device(cpe, acs_kernel)
    url = f"/api/v1/devices/{device_id}/tasks"
    for body in (
        {"type": "get_parameter_values"},
        {"type": "launch_rockets"},
        {"type": "set_parameter_values", "values": {}},
        {"type": "add_object", "object": "NoTrailingDot"},
    ):
        response = api.post(url, json=body)
        assert response.status_code == 422, body
        names = [p["name"] for p in response.json()["invalid_params"]]
        assert all(n.startswith("body") for n in names) and names
    missing = api.post(url, json={"type": "get_parameter_values"}).json()
    assert "body.paths" in [p["name"] for p in missing["invalid_params"]]
    assert api.get(f"/api/v1/devices/{device_id}/tasks").json()["items"] == []


def test_tasks_need_permissions_and_a_device(
    cpe: ScriptedCpe, acs_kernel: Any, api: Any, rjc_client_factory: Any
) -> None:
    device_id = known_device(cpe, acs_kernel)
    viewer = rjc_client_factory("viewer", kernel=acs_kernel)
    assert (
        viewer.post(f"/api/v1/devices/{device_id}/tasks", json={"type": "reboot"}).status_code
        == 403
    )
    assert viewer.get(f"/api/v1/devices/{device_id}/parameters").status_code == 200
    anonymous = rjc_client_factory(None, kernel=acs_kernel)
    assert anonymous.get(f"/api/v1/devices/{device_id}/parameters").status_code == 401
    assert api.post("/api/v1/devices/NOPE/tasks", json={"type": "reboot"}).status_code == 404
