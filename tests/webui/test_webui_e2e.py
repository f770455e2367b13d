"""End to end: the built web UI in headless Debian chromium against a real `rjchronos demo`.

The demo, the browser and the signed-in page are the fixtures of ``conftest.py``; an
OLT simulator started here is added through the API for the authorization dialog.
Every test signs in through the login page, fails on any console error, and saves
screenshots under ``test-results/webui``.
"""

from __future__ import annotations

import re
from typing import Any

from rjchronos_sdk.sim.olt import OltSimulator
from rjchronos_sdk.testing import LoopThread

from .kit import (
    FLEET,
    STARTUP_SECONDS,
    TASK_SECONDS,
    Demo,
    count_devices,
    critical_violations,
    eventually,
    fleet_cpe,
    number,
    shot,
)


def test_dashboard_numbers_match_the_api(page: Any, demo: Demo) -> None:
    for _ in range(10):
        before = demo.api.get("/ui/overview").json()["devices"]
        page.reload()
        shown = {
            key: number(page.get_by_test_id(f"stat-{key}").inner_text())
            for key in ("total", "online", "offline")
        }
        after = demo.api.get("/ui/overview").json()["devices"]
        if before == after:  # the fleet may still be informing for the first time
            break
    assert shown == after
    assert shown["total"] == count_devices(demo.api)
    assert shown["online"] == count_devices(demo.api, status="online")
    assert shown["offline"] == count_devices(demo.api, status="offline")
    assert page.locator("canvas").count() >= 1  # the chart by kind, from the echarts chunk
    top = demo.api.get("/ui/overview").json()["firmware"][0]
    firmware = page.get_by_role("table", name=re.compile("^Firmware de CPEs")).get_by_role("row")
    assert top["firmware"] in firmware.nth(1).inner_text()
    shot(page, "dashboard")
    assert critical_violations(page) == []


def test_search_a_device_open_it_and_reboot_it(page: Any, demo: Demo) -> None:
    cpe = fleet_cpe(demo)
    page.get_by_role("link", name=re.compile("^(Dispositivos|Devices)$")).click()
    page.get_by_test_id("device-search").fill(cpe["serial"])
    row = page.get_by_role("row").filter(has_text=cpe["serial"])
    eventually(lambda: page.get_by_role("row").count() == 2, 10, "one row of results")
    shot(page, "inventory")
    assert critical_violations(page) == []
    row.click()
    page.wait_for_url(f"**/devices/{cpe['id']}")
    page.get_by_role("heading", name=re.compile(cpe["serial"])).wait_for()

    # Other modules share the demo: only the reboot this test asks for counts.
    earlier = {t["id"] for t in demo.api.get(f"/devices/{cpe['id']}/tasks").json()["items"]}
    page.get_by_role("button", name=re.compile("^(Reiniciar|Reboot)$")).click()
    page.get_by_test_id("action-result").wait_for()
    tasks = eventually(
        lambda: [
            t
            for t in demo.api.get(f"/devices/{cpe['id']}/tasks").json()["items"]
            if t["id"] not in earlier
        ],
        10,
        "the reboot task",
    )
    done = page.get_by_role("row").filter(has_text="reboot").filter(has_text="done")
    done.first.wait_for(timeout=TASK_SECONDS * 1000)

    def status() -> str:
        listed = demo.api.get(f"/devices/{cpe['id']}/tasks").json()["items"]
        return str(next(t["status"] for t in listed if t["id"] == tasks[0]["id"]))

    eventually(lambda: status() == "done", TASK_SECONDS, "the reboot done")
    assert [t["type"] for t in tasks] == ["reboot"]
    shot(page, "device")
    assert critical_violations(page) == []

    # The ACS stores what an Inform carries; a refresh reads the whole parameter tree.
    page.get_by_role(
        "button", name=re.compile("^(Atualizar parâmetros|Refresh parameters)$")
    ).click()
    refreshed = page.get_by_role("row").filter(has_text="refresh").filter(has_text="done")
    refreshed.first.wait_for(timeout=TASK_SECONDS * 1000)

    page.get_by_role("tab", name=re.compile("^(Parâmetros|Parameters)$")).click()
    page.get_by_label(re.compile("^(Filtrar parâmetros|Filter parameters)")).fill("SoftwareVersion")
    tree = page.get_by_test_id("parameter-tree")
    eventually(lambda: cpe["firmware"] in tree.inner_text(), 10, "the firmware in the tree")
    shot(page, "device-parameters")

    # Change the SSID: a SetParameterValues task, done at the CPE's next session.
    page.get_by_label(re.compile("^(Filtrar parâmetros|Filter parameters)")).fill("SSID.1.SSID")
    change = page.get_by_role("button", name=re.compile(r"^(Alterar|Change) .*SSID\.1\.SSID$"))
    path = change.first.get_attribute("aria-label").split(" ", 1)[1]
    change.first.click()
    page.get_by_role("dialog").get_by_role("textbox").fill("rjc-e2e")
    page.get_by_role("dialog").get_by_role("button", name=re.compile("^(Salvar|Save)$")).click()
    page.get_by_text(re.compile(f"^(Tarefa enfileirada|Task queued): {re.escape(path)}")).wait_for()

    def stored() -> bool:
        read = demo.api.get(f"/devices/{cpe['id']}/parameters", params={"prefix": path}).json()
        return [p["value"] for p in read["items"] if p["path"] == path] == ["rjc-e2e"]

    eventually(stored, TASK_SECONDS, f"{path} set on the simulated CPE")
    page.get_by_role("tab", name=re.compile("^(Linha do tempo|Timeline)$")).click()
    page.get_by_role("cell", name="device.created").wait_for()
    shot(page, "device-timeline")


def test_bulk_refresh_of_the_cpes_on_a_page(page: Any, demo: Demo) -> None:
    def fleet_registered() -> bool:
        cpes = demo.api.get("/devices", params={"kind": "cpe", "limit": 500}).json()["items"]
        return sum(1 for cpe in cpes if cpe["customer_id"] is None) == FLEET

    eventually(fleet_registered, STARTUP_SECONDS, "the whole simulated fleet in the inventory")
    page.goto(f"{demo.url}/inventory/devices?kind=cpe")
    page.get_by_role("checkbox", name=re.compile("^(Selecionar todas|Select every)")).check()
    ticked = page.locator("tbody").get_by_role("checkbox", checked=True)
    ids = [
        row["id"]
        for row in demo.api.get("/devices", params={"kind": "cpe", "limit": 25}).json()["items"]
    ]
    assert ticked.count() == len(ids) > 0
    page.get_by_role(
        "button", name=re.compile("^(Atualizar selecionados|Refresh selected)$")
    ).click()
    assert page.get_by_test_id("bulk-result").inner_text() == (
        f"{len(ids)} tarefas enfileiradas, 0 falharam"
    )
    for device_id in ids:
        tasks = demo.api.get(f"/devices/{device_id}/tasks").json()["items"]
        assert "refresh" in [task["type"] for task in tasks]
    shot(page, "inventory-bulk")


def test_inventory_sorts_on_the_server(page: Any, demo: Demo) -> None:
    def first_serials(sort: str) -> list[str]:
        rows = demo.api.get("/devices", params={"sort": sort, "limit": 25}).json()["items"]
        return [str(row["serial"] or "") for row in rows]

    page.goto(f"{demo.url}/inventory/devices")
    shown = page.locator("tbody tr").first.locator("td").nth(4)
    shown.wait_for()
    for sort in ("serial", "-serial"):
        wanted = f"sort={sort}"
        with page.expect_response(lambda r, wanted=wanted: wanted in r.url and r.ok):
            page.get_by_test_id("sort-serial").click()
        expected = first_serials(sort)
        assert len(set(expected)) > 2
        page.wait_for_function(
            "([cell, text]) => cell.textContent.trim() === text",
            arg=[shown.element_handle(), expected[0]],
        )
    shot(page, "inventory-sorted")


def test_authorize_an_onu_on_a_simulated_olt(page: Any, demo: Demo) -> None:
    loop = LoopThread()
    olt = OltSimulator("huawei", ports=1, onus_per_port=1, seed=5, drift_interval=0)
    loop.run(olt.start())
    try:
        slot, port_number = next(iter(olt.state.ports))
        serial = "HWTC0E2E0001"
        loop.call(lambda: olt.new_unconfigured(port_number, serial, slot=slot))
        port = f"0/{slot}/{port_number}"
        added = demo.api.post(
            "/olts",
            json={
                "name": "OLT-E2E", "vendor": "Huawei", "management_address": olt.host,
                "ssh_port": olt.ssh_port, "username": olt.username, "password": olt.password,
                "snmp_port": olt.snmp_port, "community": olt.community, "timeout_seconds": 5,
                "pon_ports": [port],
            },
        )  # fmt: skip
        assert added.status_code == 201, added.text
        olt_id = added.json()["id"]

        page.goto(f"{demo.url}/olts/{olt_id}")
        waiting = page.locator("li").filter(has_text=serial)
        waiting.get_by_role("button", name=re.compile("^(Autorizar|Authorize)$")).click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label(re.compile("^(Perfil de linha|Line profile)")).fill("10")
        dialog.get_by_label(re.compile("^(Perfil de serviço|Service profile)")).fill("10")
        dialog.get_by_label(re.compile("^VLAN")).fill("100")
        assert critical_violations(page) == []
        dialog.get_by_role("button", name=re.compile("^(Autorizar|Authorize)$")).click()
        page.get_by_test_id("authorize-result").wait_for()
        assert serial in page.get_by_test_id("authorize-result").inner_text()
        unconfigured = demo.api.get(f"/olts/{olt_id}/unconfigured-onus").json()["items"]
        assert serial not in [onu["serial"] for onu in unconfigured]
        audit = demo.api.get("/audit", params={"action": "olts.onus.authorize"}).json()["items"]
        assert [entry["actor"] for entry in audit] == ["user:admin"]

        # Once collected, the OLT's ONUs fill the signal matrix, drawn as a heat map.
        eventually(
            lambda: any(
                p["onus"] for p in demo.api.get(f"/olts/{olt_id}/signal-matrix").json()["ports"]
            ),
            STARTUP_SECONDS,
            "the OLT's first collection",
        )
        page.reload()
        heat_map = page.get_by_role("img", name=re.compile("^(Matriz de sinal|Signal matrix)$"))
        heat_map.locator("canvas").first.wait_for()
        shot(page, "olt")

        # The inventory reboots the ticked ONUs through their OLT.
        onu = demo.api.get("/devices", params={"kind": "onu", "q": serial}).json()["items"][0]
        page.goto(f"{demo.url}/inventory/devices?kind=onu")
        page.get_by_test_id("device-search").fill(serial)
        eventually(lambda: page.locator("tbody tr").count() == 1, 10, "the authorized ONU alone")
        page.get_by_role("checkbox", name=re.compile("^(Selecionar todas|Select all)")).check()
        reboot = re.compile("^(Reiniciar selecionados|Reboot selected)$")
        page.get_by_role("button", name=reboot).click()
        result = page.get_by_test_id("bulk-result")
        result.filter(has_text=re.compile("(reiniciadas|rebooted)")).wait_for()
        assert re.match(r"^1 (ONUs reiniciadas|ONUs rebooted), 0 ", result.inner_text())
        rebooted = demo.api.get("/audit", params={"action": "olts.onus.reboot"}).json()["items"]
        assert [(e["target"], e["result"]) for e in rebooted] == [(f"device:{onu['id']}", "ok")]
    finally:
        loop.run(olt.stop())
        loop.close()


def test_acknowledge_an_alert(page: Any, demo: Demo) -> None:
    # An event rule on the devices of one model; adding such a device through the API
    # emits device.created, which opens the alert at once.
    rule = demo.api.post(
        "/alert-rules",
        json={
            "name": "E2E splitter added", "severity": "major",
            "scope": {"kind": "model", "value": "E2E-ACK"},
            "condition": {"type": "event", "event": "device.created"},
        },
    )  # fmt: skip
    assert rule.status_code == 201, rule.text
    added = demo.api.post(
        "/devices", json={"kind": "splitter", "name": "SPL-E2E-ACK", "model": "E2E-ACK"}
    )
    assert added.status_code == 201, added.text
    alert = eventually(
        lambda: next(
            iter(demo.api.get("/alerts", params={"rule": rule.json()["id"]}).json()["items"]), None
        ),
        30,
        "the rule's alert",
    )
    assert (alert["status"], alert["device_id"]) == ("open", added.json()["id"])

    page.goto(demo.url + "/monitoring/alerts")
    row = page.get_by_role("row").filter(has_text="SPL-E2E-ACK")
    acknowledge = row.get_by_role("button", name=re.compile("^(Reconhecer|Acknowledge)$"))
    shot(page, "alerts-open")
    acknowledge.click()
    row.filter(has_text="acknowledged").wait_for()
    assert acknowledge.count() == 0  # acknowledging applies only to open alerts
    assert row.get_by_role("button", name=re.compile("^(Resolver|Resolve)$")).is_visible()
    shot(page, "alerts-acknowledged")

    stored = demo.api.get(f"/alerts/{alert['id']}").json()
    assert (stored["status"], stored["acknowledged_by"]) == ("acknowledged", "user:admin")
    audit = demo.api.get(
        "/audit", params={"action": "alert.acknowledged", "target": f"alert:{alert['id']}"}
    ).json()["items"]
    assert [entry["actor"] for entry in audit] == ["user:admin"]


PAGES = {
    "customers": "/inventory/customers",
    "olts": "/inventory/olts",
    "topology": "/inventory/topology",
    "live": "/monitoring/live",
    "map": "/monitoring/map",
    "alerts": "/monitoring/alerts",
    "jobs": "/automation/jobs",
    "users": "/settings/users",
    "tokens": "/settings/tokens",
    "plugins": "/settings/plugins",
    "audit": "/settings/audit",
    "hello-plugin": "/plugins/example-hello",
}


def test_every_page_renders_accessibly(page: Any, demo: Demo) -> None:
    critical: dict[str, list[str]] = {}
    for name, path in PAGES.items():
        page.goto(demo.url + path)
        page.get_by_role("heading").first.wait_for()
        page.wait_for_load_state("networkidle") if name != "live" else page.wait_for_timeout(500)
        if name == "map":
            page.locator(".leaflet-interactive").first.wait_for()
            assert int(page.get_by_test_id("map").get_attribute("data-markers")) > 0
            eventually(lambda: demo.tiles.served > 0, 10, "a tile from the local tile server")
        if name == "live":
            page.get_by_text(re.compile("^(Conectado|Connected)$")).wait_for()
        if name == "topology":
            page.get_by_role("treeitem").first.wait_for()
        if name == "hello-plugin":
            # The plugin's ES module, imported at run time, called the API with the session.
            panel = page.get_by_test_id("hello-panel")
            eventually(
                lambda panel=panel: "Olá, admin!" in panel.inner_text(), 10, "the module panel"
            )
        shot(page, name)
        found = critical_violations(page)
        if found:
            critical[name] = found
    assert critical == {}


def test_switch_the_language_and_keep_it(page: Any, demo: Demo) -> None:
    def choose(language: str) -> None:
        page.get_by_role("combobox", name=re.compile("^(Idioma|Language)$")).click()
        page.get_by_role("option", name=language).click()

    choose("English")
    page.get_by_role("heading", name="Overview").wait_for()
    assert page.get_by_role("link", name="Devices").is_visible()
    eventually(lambda: demo.api.get("/users/me").json()["locale"] == "en", 5, "locale saved")
    page.reload()
    page.get_by_role("heading", name="Overview").wait_for()
    shot(page, "dashboard-en")
    choose("Português")
    page.get_by_role("heading", name="Visão geral").wait_for()
    eventually(lambda: demo.api.get("/users/me").json()["locale"] == "pt-BR", 5, "locale saved")


def test_dark_theme_and_a_tablet_in_portrait(page: Any, demo: Demo) -> None:
    page.get_by_role("button", name=re.compile("^(Alternar tema|Switch light)")).click()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 18, 18)"  # Material UI's dark background
    shot(page, "dashboard-dark")
    assert critical_violations(page) == []
    page.reload()  # the theme is remembered
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == background
    page.get_by_role("button", name=re.compile("^(Alternar tema|Switch light)")).click()

    page.set_viewport_size({"width": 800, "height": 1280})
    menu = page.get_by_role("button", name=re.compile("^(Abrir o menu|Open the menu)$"))
    menu.click()
    page.get_by_role("link", name=re.compile("^(Dispositivos|Devices)$")).click()
    page.get_by_role("heading", name=re.compile("^(Inventário|Inventory)$")).wait_for()
    assert page.get_by_test_id("device-search").is_visible()
    shot(page, "inventory-tablet")
