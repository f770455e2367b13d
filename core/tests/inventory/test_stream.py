"""Live events over Server-Sent Events, through a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from rjchronos.security.tokens import issue_access_token
from rjchronos.security.users import create_user
from rjchronos_sdk.testing import serve_asgi

API = "/api/v1"
#: Upper bound on any wait in these tests; a healthy run needs a fraction of it.
DEADLINE = 15.0


def serving(kernel: Any) -> Any:
    """Run the kernel's app (with its lifespan) under uvicorn on a free port; its base URL."""
    return serve_asgi(kernel.asgi(), lifespan="on")


class EventReader:
    """Reads SSE messages (blocks of lines) from a streaming response."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()

    def next_message(self) -> list[str]:
        block: list[str] = []
        for line in self.lines:
            if line == "":
                if block:
                    return block
                continue
            block.append(line)
        raise AssertionError(f"the stream ended after {block}")

    def next_event(self) -> tuple[int, dict[str, Any]]:
        """The next device event, skipping keep-alive comments and the retry hint."""
        while True:
            block = self.next_message()
            fields = dict(line.split(": ", 1) for line in block if not line.startswith(":"))
            if "data" in fields and "event" not in fields:
                return int(fields["id"]), json.loads(fields["data"])


@pytest.fixture
def token(rjc_kernel: Any) -> str:
    user = create_user(rjc_kernel, "watcher", "correct horse battery", roles=("viewer",))
    return issue_access_token(rjc_kernel, user)[0]


@pytest.fixture
def writer_token(rjc_kernel: Any) -> str:
    user = create_user(rjc_kernel, "writer", "correct horse battery", roles=("operator",))
    return issue_access_token(rjc_kernel, user)[0]


def test_events_stream_live_with_keep_alives_and_resume(
    rjc_kernel: Any, token: str, writer_token: str
) -> None:
    rjc_kernel.events.keepalive = 0.2
    watcher = {"Authorization": f"Bearer {token}"}
    writer = {"Authorization": f"Bearer {writer_token}"}
    with serving(rjc_kernel) as base, httpx.Client(base_url=base, timeout=DEADLINE) as http:
        assert http.get(f"{API}/events/stream").status_code == 401
        with http.stream("GET", f"{API}/events/stream", headers=watcher) as live:
            assert live.status_code == 200
            assert live.headers["content-type"].startswith("text/event-stream")
            reader = EventReader(live)
            assert reader.next_message() == ["retry: 3000"]
            assert reader.next_message() == [": keep-alive"]
            olt = http.post(f"{API}/devices", headers=writer, json={"kind": "olt", "name": "OLT"})
            assert olt.status_code == 201
            event_id, event = reader.next_event()
            assert event["type"] == "device.created"
            assert event["device_id"] == olt.json()["id"]
            assert event["id"] == event_id
            assert event["payload"]["name"] == "OLT"
        # Missed while disconnected: found again on the timeline.
        device_id = olt.json()["id"]
        for status in ("online", "los"):
            changed = http.patch(
                f"{API}/devices/{device_id}", headers=writer, json={"status": status}
            )
            assert changed.status_code == 200
        resume = {**watcher, "Last-Event-ID": str(event_id)}
        with http.stream("GET", f"{API}/events/stream", headers=resume) as again:
            reader = EventReader(again)
            caught_up = [reader.next_event()[1] for _ in range(2)]
            assert [e["payload"]["to"] for e in caught_up] == ["online", "los"]
            http.patch(f"{API}/devices/{device_id}", headers=writer, json={"status": "online"})
            assert reader.next_event()[1]["payload"] == {"from": "los", "to": "online"}
        # A closed stream leaves no subscription behind.
        started = time.monotonic()
        while rjc_kernel.events._subscribers:
            assert time.monotonic() - started < DEADLINE, "the subscription outlived its stream"
            time.sleep(0.05)


def test_the_stream_filters_by_type_and_refuses_unknown_types(
    rjc_kernel: Any, token: str, writer_token: str
) -> None:
    watcher = {"Authorization": f"Bearer {token}"}
    writer = {"Authorization": f"Bearer {writer_token}"}
    with serving(rjc_kernel) as base, httpx.Client(base_url=base, timeout=DEADLINE) as http:
        unknown = http.get(f"{API}/events/stream", headers=watcher, params={"type": "onu.exploded"})
        assert unknown.status_code == 422
        assert unknown.json()["invalid_params"][0]["name"] == "query.type"
        bad_resume = http.get(f"{API}/events/stream", headers={**watcher, "Last-Event-ID": "x"})
        assert bad_resume.status_code == 422
        params = {"type": "device.status_changed"}
        with http.stream("GET", f"{API}/events/stream", headers=watcher, params=params) as live:
            reader = EventReader(live)
            assert reader.next_message() == ["retry: 3000"]
            device = http.post(f"{API}/devices", headers=writer, json={"kind": "cpe"}).json()
            http.patch(f"{API}/devices/{device['id']}", headers=writer, json={"name": "renamed"})
            http.patch(f"{API}/devices/{device['id']}", headers=writer, json={"status": "degraded"})
            _, event = reader.next_event()
            assert (event["type"], event["payload"]["to"]) == ("device.status_changed", "degraded")


def test_a_scoped_viewer_sees_only_the_events_of_devices_in_scope(
    rjc_kernel: Any, writer_token: str
) -> None:
    from rjchronos.security.users import bind_role

    writer = {"Authorization": f"Bearer {writer_token}"}
    user = create_user(rjc_kernel, "north-only", "correct horse battery", roles=())
    assert user.id is not None
    bind_role(rjc_kernel, user.id, "viewer", "region:Norte")
    scoped = {"Authorization": f"Bearer {issue_access_token(rjc_kernel, user)[0]}"}
    with serving(rjc_kernel) as base, httpx.Client(base_url=base, timeout=DEADLINE) as http:

        def device(name: str, region: str) -> str:
            site = http.post(
                f"{API}/sites", headers=writer, json={"name": f"CO {region}", "region": region}
            )
            assert site.status_code == 201, site.text
            olt = http.post(
                f"{API}/devices",
                headers=writer,
                json={"kind": "olt", "name": name, "site_id": site.json()["id"]},
            )
            assert olt.status_code == 201, olt.text
            return str(olt.json()["id"])

        north, south = device("OLT-N", "Norte"), device("OLT-S", "Sul")
        with http.stream(
            "GET", f"{API}/events/stream", headers={**scoped, "Last-Event-ID": "0"}
        ) as live:
            reader = EventReader(live)
            _, created = reader.next_event()
            assert created["device_id"] == north
            for device_id in (south, north):
                answer = http.patch(
                    f"{API}/devices/{device_id}", headers=writer, json={"status": "los"}
                )
                assert answer.status_code == 200
            _, changed = reader.next_event()
            assert (changed["device_id"], changed["type"]) == (north, "device.status_changed")
