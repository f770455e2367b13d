"""Main-link monitoring against a real TCP listener on 127.0.0.1."""

from __future__ import annotations

import socket
from typing import Any

from rjchronos.alerts import links

from .conftest import NOTIFIER, HttpTestNotifier, Receiver, TestNotifiers


def _listen(port: int = 0) -> socket.socket:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(8)
    return server


def test_a_link_down_is_one_incident_until_it_answers_again(
    rjc_kernel_factory: Any, rjc_client_factory: Any, receiver: Receiver
) -> None:
    server = _listen()
    port = server.getsockname()[1]
    kernel = rjc_kernel_factory(
        plugins={"test-notifiers": TestNotifiers()},
        plugin_settings={
            "builtin.alerts": {
                "incident_channels": ["noc"],
                "main_links": [{"name": "uplink-A", "host": "127.0.0.1", "port": port}],
                "link_probe_attempts": 2,
                "link_probe_timeout_seconds": 0.5,
            }
        },
    )
    kernel.drivers.add("rjchronos.notifiers", NOTIFIER, HttpTestNotifier)
    api = rjc_client_factory("admin", kernel=kernel)
    created = api.post(
        "/api/v1/notification-channels",
        json={"name": "noc", "type": NOTIFIER, "config": {"url": receiver.url}},
    )
    assert created.status_code == 201, created.text

    def probe() -> dict[str, Any]:
        job = kernel.jobs.get(kernel.jobs.enqueue(links.JOB_TYPE, {}))
        assert job.status == "done", job.error
        return dict(job.result)

    try:
        assert probe() == {"links": 1, "down": []}
        server.close()
        assert probe()["down"] == ["uplink-A"]
        assert probe()["down"] == ["uplink-A"]
        [incident] = api.get("/api/v1/incidents", params={"kind": "link"}).json()["items"]
        assert incident["status"] == "open"
        assert incident["element"]["name"] == "uplink-A"
        assert "Error" in incident["details"]["error"]
        assert [m["template"] for m in receiver.received] == ["incident.opened"]
        server = _listen(port)
        assert probe()["down"] == []
        resolved = api.get(f"/api/v1/incidents/{incident['id']}").json()
        assert resolved["status"] == "resolved"
        assert [m["template"] for m in receiver.received] == [
            "incident.opened",
            "incident.resolved",
        ]
    finally:
        server.close()


def test_main_links_list_each_configured_link_up_or_down(
    rjc_kernel_factory: Any, rjc_client_factory: Any
) -> None:
    answering = _listen()
    closed = _listen()
    closed_port = closed.getsockname()[1]
    closed.close()
    kernel = rjc_kernel_factory(
        plugin_settings={
            "builtin.alerts": {
                "main_links": [
                    {"name": "uplink-A", "host": "127.0.0.1", "port": answering.getsockname()[1]},
                    {"name": "uplink-B", "host": "127.0.0.1", "port": closed_port},
                ],
                "link_probe_attempts": 1,
                "link_probe_timeout_seconds": 0.5,
            }
        },
    )
    viewer = rjc_client_factory("viewer", kernel=kernel)
    try:
        before = viewer.get("/api/v1/main-links")
        assert before.status_code == 200, before.text
        assert [(link["name"], link["status"]) for link in before.json()["items"]] == [
            ("uplink-A", "up"),
            ("uplink-B", "up"),
        ]
        job = kernel.jobs.get(kernel.jobs.enqueue(links.JOB_TYPE, {}))
        assert job.result["down"] == ["uplink-B"]
        after = {link["name"]: link for link in viewer.get("/api/v1/main-links").json()["items"]}
        assert after["uplink-A"]["status"] == "up"
        assert after["uplink-A"]["incident_id"] is None
        down = after["uplink-B"]
        assert (down["status"], down["port"]) == ("down", closed_port)
        incident = viewer.get(f"/api/v1/incidents/{down['incident_id']}").json()
        assert incident["kind"] == "link"
        assert down["down_since"] == incident["detected_at"]
    finally:
        answering.close()
    assert rjc_client_factory(None, kernel=kernel).get("/api/v1/main-links").status_code == 401


def test_main_links_are_empty_when_none_is_configured(rjc_client: Any) -> None:
    answer = rjc_client.get("/api/v1/main-links")
    assert answer.json() == {"items": [], "next_cursor": None}
