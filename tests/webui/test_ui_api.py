"""The API the shell stands on: the dashboard's counts, the manifest, shell routes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rjchronos.inventory.models import Device


def _devices(kernel: Any, *rows: tuple[str, str, str]) -> None:
    with kernel.db.session() as session:
        for number, (kind, status, firmware) in enumerate(rows):
            session.add(
                Device(kind=kind, name=f"{kind}-{number}", status=status, firmware=firmware)
            )


def test_overview_counts_devices_by_kind_and_status(
    rjc_kernel: Any, rjc_client_factory: Callable[..., Any]
) -> None:
    _devices(
        rjc_kernel,
        ("cpe", "online", "1.2"),
        ("cpe", "online", "1.2"),
        ("cpe", "offline", "1.1"),
        ("onu", "los", ""),
        ("olt", "online", "V100"),
    )
    answer = rjc_client_factory("viewer").get("/api/v1/ui/overview")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "devices": {"total": 5, "online": 3, "offline": 1},
        "by_kind": {"cpe": {"online": 2, "offline": 1}, "onu": {"los": 1}, "olt": {"online": 1}},
        # CPEs and ONUs only, the most common first; an unknown firmware is not a version.
        "firmware": [
            {"kind": "cpe", "vendor": "", "model": "", "firmware": "1.2", "count": 2},
            {"kind": "cpe", "vendor": "", "model": "", "firmware": "1.1", "count": 1},
        ],
    }
    assert rjc_client_factory(None).get("/api/v1/ui/overview").status_code == 401


def test_manifest_names_the_api_operations_and_the_map_tiles(
    rjc_kernel_factory: Callable[..., Any], rjc_client_factory: Callable[..., Any]
) -> None:
    kernel = rjc_kernel_factory(map_tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png")
    manifest = rjc_client_factory("viewer", kernel=kernel).get("/api/v1/ui/manifest").json()
    assert manifest["map"] == {"tile_url": "http://127.0.0.1:9/{z}/{x}/{y}.png"}
    assert "GET /devices" in manifest["routes"]
    assert "GET /ui/overview" in manifest["routes"]
    # The alerts built-in's operations, from which the Alerts page makes its buttons.
    assert {"GET /alerts", "POST /alerts/{id}/ack", "POST /alerts/{id}/resolve"} <= set(
        manifest["routes"]
    )
    # Operational endpoints outside /api/v1 are not the shell's business.
    assert not [route for route in manifest["routes"] if "healthz" in route]


def test_shell_paths_get_the_shell_and_the_api_keeps_its_404(
    webui_dist: Path, rjc_client_factory: Callable[..., Any]
) -> None:
    client = rjc_client_factory(None)
    index = (webui_dist / "index.html").read_text(encoding="utf-8")
    for path in ("/", "/inventory/devices", "/devices/01ABC"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.text == index
    assert client.get("/api/v1/nothing-here").status_code == 404
    assert client.get("/assets/missing.js").status_code == 404
    assert client.get("/-/static-plugins/none/x.js").status_code == 404
