"""Task life cycle: retries with backoff when sessions die, and AutonomousTransferComplete."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from acs_testkit import ScriptedCpe, acs_settings, read
from starlette.testclient import TestClient

from rjchronos.inventory import service
from rjchronos_acs_tr069 import PLUGIN, hooks
from rjchronos_acs_tr069.server import build_app

IDENTITY = "00259E-HG8245-485754430A1B2C3D"
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
CWMP_1_2 = "urn:dslforum-org:cwmp-1-2"

Setup = Callable[..., tuple[ScriptedCpe, Any, str]]


@pytest.fixture
def setup(rjc_kernel_factory: Any, rjc_client_factory: Any) -> Iterator[Setup]:
    """``setup(**settings)``: a CPE known to the ACS, the admin API and the device id."""
    clients: list[TestClient] = []

    def make(namespace: str = "urn:dslforum-org:cwmp-1-0", **settings: Any) -> Any:
        kernel = rjc_kernel_factory(
            plugins={PLUGIN: hooks}, plugin_settings={PLUGIN: acs_settings(**settings)}
        )
        http = TestClient(build_app(kernel), base_url="http://127.0.0.1:7547")
        clients.append(http.__enter__())
        cpe = ScriptedCpe(http, namespace=namespace)
        cpe.inform()
        assert cpe.post().status_code == 204
        device = service.find_device(kernel, identity=IDENTITY)
        assert device is not None
        return cpe, rjc_client_factory("admin", kernel=kernel), device.id

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def task_of(api: Any, device_id: str, task_id: str) -> dict[str, Any]:
    items = api.get(f"/api/v1/devices/{device_id}/tasks").json()["items"]
    return next(t for t in items if t["id"] == task_id)


def interrupted_session(cpe: ScriptedCpe) -> Any:
    """A session that starts and breaks off after the ACS's first request."""
    cpe.inform(events=("2 PERIODIC",))
    return cpe.post()


def test_a_task_whose_sessions_keep_dying_backs_off(setup: Setup) -> None:
    cpe, api, device_id = setup(task_retry_base_seconds=60)
    body = {"type": "get_parameter_values", "paths": [SSID]}
    task = api.post(f"/api/v1/devices/{device_id}/tasks", json=body).json()
    assert read(interrupted_session(cpe)).method == "GetParameterValues"
    # First interruption: the task runs again at once.
    assert read(interrupted_session(cpe)).method == "GetParameterValues"
    # Second: it waits a minute, so this session has nothing to send.
    assert interrupted_session(cpe).status_code == 204
    waiting = task_of(api, device_id, task["id"])
    assert waiting["status"] == "pending"
    assert waiting["result"]["attempts"] == 2
    retry_at = datetime.fromisoformat(waiting["result"]["retry_at"])
    assert retry_at > datetime.now(UTC) + timedelta(seconds=50)


def test_a_task_gives_up_after_its_attempts(setup: Setup) -> None:
    cpe, api, device_id = setup(task_retry_base_seconds=0, task_max_attempts=3)
    body = {"type": "get_parameter_values", "paths": [SSID]}
    task = api.post(f"/api/v1/devices/{device_id}/tasks", json=body).json()
    for _ in range(3):
        assert read(interrupted_session(cpe)).method == "GetParameterValues"
    assert interrupted_session(cpe).status_code == 204
    failed = task_of(api, device_id, task["id"])
    assert failed["status"] == "fault"
    assert failed["fault"]["meaning"] == "Session failure"
    assert failed["result"]["attempts"] == 3


def test_autonomous_transfer_complete_finishes_the_download_of_its_url(setup: Setup) -> None:
    cpe, api, device_id = setup(namespace=CWMP_1_2)
    url = "http://files.example.net/fw.bin"
    body = {"type": "download", "url": url, "file_type": "1 Firmware Upgrade Image"}
    task = api.post(f"/api/v1/devices/{device_id}/tasks", json=body).json()
    cpe.inform(events=("2 PERIODIC",))
    request = read(cpe.post())
    assert request.method == "Download"
    unknown = "0001-01-01T00:00:00Z"
    accepted = cpe.answer(
        f"<cwmp:DownloadResponse><Status>1</Status><StartTime>{unknown}</StartTime>"
        f"<CompleteTime>{unknown}</CompleteTime></cwmp:DownloadResponse>"
    )
    assert accepted.status_code == 204
    assert task_of(api, device_id, task["id"])["status"] == "running"

    cpe.inform(events=("10 AUTONOMOUS TRANSFER COMPLETE",))
    answer = cpe.post(
        cpe_message(
            "<cwmp:AutonomousTransferComplete><AnnounceURL></AnnounceURL>"
            f"<TransferURL>{url}</TransferURL><IsDownload>1</IsDownload>"
            "<FileType>1 Firmware Upgrade Image</FileType><FileSize>10</FileSize>"
            "<TargetFileName></TargetFileName><FaultStruct><FaultCode>9018</FaultCode>"
            "<FaultString>corrupted</FaultString></FaultStruct>"
            "<StartTime>2026-01-01T00:00:00Z</StartTime>"
            "<CompleteTime>2026-01-01T00:00:05Z</CompleteTime>"
            "</cwmp:AutonomousTransferComplete>"
        )
    )
    assert read(answer).method == "AutonomousTransferCompleteResponse"
    failed = task_of(api, device_id, task["id"])
    assert failed["status"] == "fault"
    assert failed["fault"]["code"] == 9018
    assert (
        failed["fault"]["meaning"] == "File transfer failure: file corrupted or otherwise unusable"
    )


def cpe_message(body: str) -> bytes:
    from acs_testkit import wrap

    return wrap(CWMP_1_2, body, "atc-1")
