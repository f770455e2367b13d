"""The example plugin, loaded from its entry point into a real kernel, database and client."""

from __future__ import annotations

import ast
import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rjchronos_example_hello import plugin
from rjchronos_example_hello.notifier import LogFileNotifier
from rjchronos_sdk import Kernel, Notification
from rjchronos_sdk.conformance import NotifierConformance


@pytest.fixture
def kernel(rjc_kernel_factory: Callable[..., Kernel]) -> Kernel:
    return rjc_kernel_factory(entrypoints=["example-hello"])


def test_loaded_from_its_entry_point(kernel: Kernel) -> None:
    record = kernel.host.records["example-hello"]
    assert record.state == "loaded", record.error
    assert record.distribution == "rjchronos-example-hello"


def test_hello_for_a_role_with_the_permission(
    kernel: Kernel, rjc_client_factory: Callable[..., Any]
) -> None:
    client = rjc_client_factory("operator", kernel=kernel, username="maria")
    response = client.get("/api/v1/hello")
    assert response.status_code == 200
    assert response.json() == {"message": "Olá, maria!", "plugin": "example-hello"}


def test_hello_forbidden_without_the_permission(
    kernel: Kernel, rjc_client_factory: Callable[..., Any]
) -> None:
    response = rjc_client_factory("viewer", kernel=kernel).get("/api/v1/hello")
    assert response.status_code == 403
    assert response.json()["permission"] == "hello.read"


def test_hello_needs_a_signed_in_user(
    kernel: Kernel, rjc_client_factory: Callable[..., Any]
) -> None:
    assert rjc_client_factory(None, kernel=kernel).get("/api/v1/hello").status_code == 401


def test_permission_and_notifier_type_reach_the_kernel(kernel: Kernel) -> None:
    assert kernel.permissions["hello.read"].default_roles == ("admin", "operator")
    assert kernel.catalog.notifier_types["log-file"].title == "Log file (JSON lines)"


def test_route_is_in_the_openapi_document(
    kernel: Kernel, rjc_client_factory: Callable[..., Any]
) -> None:
    document = rjc_client_factory(None, kernel=kernel).get("/api/v1/openapi.json").json()
    assert "get" in document["paths"]["/api/v1/hello"]


def test_menu_item(kernel: Kernel) -> None:
    items = [item for declared in kernel.hook.rjc_menu_items(kernel=kernel) for item in declared]
    hello = [item for item in items if item.path == "/plugins/example-hello"]
    assert [(item.menu, item.label, item.permission) for item in hello] == [
        ("dashboard", "Hello", "hello.read")
    ]


class TestLogFileNotifier(NotifierConformance):
    notifier_class = LogFileNotifier
    plugin = plugin

    @pytest.fixture
    def log_path(self, tmp_path: Path) -> Path:
        return tmp_path / "notifications.jsonl"

    @pytest.fixture
    def notifier(self, log_path: Path) -> LogFileNotifier:
        return LogFileNotifier({"path": str(log_path)})

    @pytest.fixture
    def failing_notifier(self, tmp_path: Path) -> LogFileNotifier:
        # A path below a regular file can never be created.
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("")
        return LogFileNotifier({"path": str(blocker / "notifications.jsonl")})

    def check_delivered(
        self, request: pytest.FixtureRequest, notifier: Any, notification: Notification
    ) -> None:
        lines = request.getfixturevalue("log_path").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1
        record = json.loads(lines[0])
        assert record["subject"] == notification.subject
        assert record["recipient"] == notification.recipient
        assert record["variables"] == dict(notification.variables)


def test_log_file_appends_one_line_per_notification(tmp_path: Path) -> None:
    notifier = LogFileNotifier({"path": str(tmp_path / "log.jsonl")})
    for n in range(3):
        result = asyncio.run(notifier.send(Notification(f"alert {n}", "body", "noc")))
        assert result.delivered
    lines = (tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["subject"] for line in lines] == ["alert 0", "alert 1", "alert 2"]


def test_written_only_against_the_sdk() -> None:
    package = Path(plugin.__file__).parent
    imported = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
    assert "rjchronos_sdk" in imported
    assert not {name for name in imported if name.startswith("rjchronos")} - {"rjchronos_sdk"}


def test_ui_panels_reach_the_manifest_and_the_module_is_served(
    kernel: Kernel, rjc_client_factory: Callable[..., Any]
) -> None:
    client = rjc_client_factory("operator", kernel=kernel)
    manifest = client.get("/api/v1/ui/manifest").json()
    panels = {p["id"]: p for p in manifest["panels"] if p["plugin"] == "example-hello"}
    assert panels["example-hello.greeting"]["kind"] == "stat"
    module_url = panels["example-hello.clock"]["module_url"]
    assert module_url == "/-/static-plugins/example-hello/hello-panel.js"
    served = client.get(module_url)
    assert served.status_code == 200
    assert "export default function mount" in served.text
    assert "javascript" in served.headers["content-type"]
