"""End to end: the ACS's device actions and provisioning pages in headless Debian chromium.

The fixtures of ``conftest.py`` (a real ``rjchronos demo`` with simulated CPEs, the
built shell, Debian's chromium through Playwright for Python, no console errors allowed,
screenshots under ``test-results/webui``): run a ping on a simulated CPE and read its result,
upload a firmware image and run a campaign to its end, edit a provisioning profile.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from rjchronos_sdk.sim.cpe import firmware_image

from . import kit

TASK_SECONDS = 60
CAMPAIGN_SECONDS = 120


def _fleet_cpes(demo: kit.Demo) -> list[dict[str, Any]]:
    """The simulated fleet's CPEs, once every one has informed and reported its parameters."""

    def ready() -> list[dict[str, Any]] | None:
        items = demo.api.get("/devices", params={"kind": "cpe", "limit": 500}).json()["items"]
        fleet = sorted(
            (d for d in items if d["customer_id"] is None and d["serial"]), key=lambda d: d["id"]
        )
        if len(fleet) < kit.FLEET:
            return None
        for device in fleet:
            read = demo.api.get(f"/devices/{device['id']}/parameters", params={"limit": 1})
            if not read.json()["items"]:
                return None
        return fleet

    found: list[dict[str, Any]] = kit.eventually(
        ready, kit.STARTUP_SECONDS, "the simulated fleet with its parameters"
    )
    return found


def test_ping_a_simulated_cpe_and_see_the_result(page: Any, demo: kit.Demo) -> None:
    cpe = _fleet_cpes(demo)[0]
    page.goto(f"{demo.url}/devices/{cpe['id']}")
    page.get_by_role("heading", name=re.compile(re.escape(cpe["serial"]))).wait_for()
    page.get_by_role("button", name=re.compile("^(Diagnóstico|Diagnostics)$")).click()
    dialog = page.get_by_role("dialog")

    # A host the CPE could not be asked to ping is refused in the dialog, before any request.
    dialog.get_by_label(re.compile("^Host")).fill("x; rm -rf /")
    dialog.get_by_role("button", name=re.compile("^(Executar|Run)$")).click()
    dialog.get_by_text(re.compile("^(Um nome de host ou endereço IP|A host name or IP)")).wait_for()
    assert not [
        t for t in demo.api.get(f"/devices/{cpe['id']}/tasks").json()["items"]
        if t["type"] == "diagnostics"
    ]  # fmt: skip

    dialog.get_by_label(re.compile("^Host")).fill("192.0.2.1")
    dialog.get_by_label(re.compile("^(Repetições|Repetitions)")).fill("3")
    kit.shot(page, "device-diagnostics")
    assert kit.critical_violations(page) == []
    dialog.get_by_role("button", name=re.compile("^(Executar|Run)$")).click()
    result = dialog.get_by_test_id("diagnostic-result")
    result.wait_for(timeout=TASK_SECONDS * 1000)
    assert re.match("^(Teste concluído|Test finished): Complete", result.inner_text())
    kit.shot(page, "device-diagnostics-result")

    tasks = demo.api.get(f"/devices/{cpe['id']}/tasks").json()["items"]
    done = [t for t in tasks if t["type"] == "diagnostics"]
    assert [t["status"] for t in done] == ["done"]
    results = done[0]["result"]["results"]
    assert int(results["SuccessCount"]) + int(results["FailureCount"]) == 3
    shown = result.get_by_test_id("result-average").inner_text()
    assert shown == f"{results['AverageResponseTime']} ms"
    assert result.get_by_test_id("result-success").inner_text() == results["SuccessCount"]
    audit = demo.api.get(
        "/audit", params={"action": "acs.diagnostics.create", "target": f"device:{cpe['id']}"}
    ).json()["items"]
    assert [entry["actor"] for entry in audit] == ["user:admin"]


def test_set_the_wifi_of_a_simulated_cpe(page: Any, demo: kit.Demo) -> None:
    cpe = _fleet_cpes(demo)[2]
    # A refresh reads the whole tree, Wi-Fi included: the dialog shows the radio's settings.
    refresh = demo.api.post(f"/devices/{cpe['id']}/tasks", json={"type": "refresh", "path": ""})
    assert refresh.status_code == 201, refresh.text

    def refreshed() -> bool:
        tasks = demo.api.get(f"/devices/{cpe['id']}/tasks").json()["items"]
        return any(t["id"] == refresh.json()["id"] and t["status"] == "done" for t in tasks)

    kit.eventually(refreshed, TASK_SECONDS, "the refresh done at the CPE's next inform")
    radio = next(r for r in demo.api.get(f"/devices/{cpe['id']}/summary").json()["wifi"])
    page.goto(f"{demo.url}/devices/{cpe['id']}")
    page.get_by_role("button", name="Wi-Fi").click()
    dialog = page.get_by_role("dialog")
    current = dialog.get_by_test_id("wifi-current")
    current.wait_for()
    assert current.inner_text().split(": ", 1)[1].split(" · ")[0] == radio["ssid"]
    dialog.get_by_label(re.compile("^(Senha do Wi-Fi|Wi-Fi password)")).fill("short")
    dialog.get_by_label(re.compile("^(Canal|Channel)")).fill("300")
    dialog.get_by_role("button", name=re.compile("^(Aplicar|Apply)$")).click()
    dialog.get_by_text(re.compile("^(8 a 63 caracteres imprimíveis|8 to 63 printable)")).wait_for()
    dialog.get_by_text(re.compile("^(Um número de canal|A channel number)")).wait_for()

    dialog.get_by_label(re.compile("^(Senha do Wi-Fi|Wi-Fi password)")).fill("")
    dialog.get_by_label("SSID").fill("rjc-e2e-wifi")
    dialog.get_by_label(re.compile("^(Canal|Channel)")).fill("11")
    kit.shot(page, "device-wifi")
    assert kit.critical_violations(page) == []
    dialog.get_by_role("button", name=re.compile("^(Aplicar|Apply)$")).click()
    page.get_by_test_id("action-result").filter(has_text="Wi-Fi").wait_for()

    task = next(
        t for t in demo.api.get(f"/devices/{cpe['id']}/tasks").json()["items"]
        if t["type"] == "set_parameter_values"
    )  # fmt: skip
    values = task["params"]["values"]
    assert sorted(values.values(), key=str) == [11, "rjc-e2e-wifi"]

    def stored() -> bool:
        read = demo.api.get(f"/devices/{cpe['id']}/parameters", params={"limit": 5000}).json()
        found = {p["path"]: p["value"] for p in read["items"] if p["path"] in values}
        return found == {path: str(value) for path, value in values.items()}

    kit.eventually(stored, TASK_SECONDS, "the SSID and channel set on the simulated CPE")
    audit = demo.api.get(
        "/audit", params={"action": "acs.wifi.set", "target": f"device:{cpe['id']}"}
    ).json()["items"]
    assert [entry["actor"] for entry in audit] == ["user:admin"]


def test_upload_an_image_and_follow_a_campaign(page: Any, demo: kit.Demo) -> None:
    cpe = _fleet_cpes(demo)[1]
    version = "V9.9.9-e2e"
    image = firmware_image(version, size=8192)

    page.get_by_role("link", name=re.compile("^(Imagens de firmware|Firmware images)$")).click()
    page.get_by_role(
        "heading", name=re.compile("^(Imagens de firmware|Firmware images)$")
    ).wait_for()
    page.get_by_role("button", name=re.compile("^(Enviar imagem|Upload image)$")).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_test_id("firmware-file").set_input_files(
        {"name": "e2e firmware.bin", "mimeType": "application/octet-stream", "buffer": image}
    )
    # The browser computes the digest and a file name the store takes.
    sha = dialog.get_by_label("SHA-256")
    kit.eventually(lambda: sha.input_value() != "", 10, "the image's SHA-256")
    assert sha.input_value() == hashlib.sha256(image).hexdigest()
    assert dialog.get_by_label(re.compile("^(Nome do arquivo|File name)")).input_value() == (
        "e2e_firmware.bin"
    )
    dialog.get_by_label(re.compile("^(Versão|Version)")).fill(version)
    dialog.get_by_role("button", name=re.compile("^(Enviar|Upload)$")).click()
    page.get_by_test_id("firmware-message").wait_for()
    stored = demo.api.get("/firmware", params={"version": version}).json()["items"]
    assert [(i["filename"], i["size"]) for i in stored] == [("e2e_firmware.bin", len(image))]
    page.get_by_role("row").filter(has_text="e2e_firmware.bin").wait_for()
    kit.shot(page, "firmware-images")
    assert kit.critical_violations(page) == []

    page.get_by_role("link", name=re.compile("^(Campanhas|Campaigns)$")).click()
    page.get_by_role("button", name=re.compile("^(Nova campanha|New campaign)$")).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name=re.compile("^(Iniciar|Start)$")).click()
    dialog.get_by_text(
        re.compile("^(Escolha uma imagem de firmware|Choose a firmware image)$")
    ).wait_for()
    dialog.get_by_label(re.compile("^(Nome|Name)")).fill("E2E rollout")
    dialog.get_by_role("combobox", name=re.compile("^(Imagem de firmware|Firmware image)")).click()
    page.get_by_role("option", name=re.compile(re.escape(version))).click()
    dialog.get_by_role("combobox", name=re.compile("^(Alvo por|Target by)")).click()
    page.get_by_role("option", name=re.compile("^(Ids de dispositivos|Device ids)$")).click()
    dialog.get_by_label(re.compile("^(Alvo|Target)$")).fill(cpe["id"])
    dialog.get_by_role("button", name=re.compile("^(Iniciar|Start)$")).click()

    page.wait_for_url(re.compile(r"/provisioning/campaigns/\w+$"))
    campaign_id = page.url.rsplit("/", 1)[1]
    page.get_by_role("heading", name=re.compile("^E2E rollout")).wait_for()
    progress = page.get_by_test_id(f"progress-{campaign_id}").get_by_test_id("progress-text")
    kit.shot(page, "campaign-started")
    kit.eventually(
        lambda: progress.inner_text().startswith("1/1 (100%)"),
        CAMPAIGN_SECONDS,
        "the campaign's one device finished",
    )
    row = page.get_by_role("row").filter(has_text=cpe["id"])
    row.filter(has_text="succeeded").wait_for()
    kit.shot(page, "campaign-done")
    assert kit.critical_violations(page) == []

    campaign = demo.api.get(f"/campaigns/{campaign_id}").json()
    assert (campaign["name"], campaign["target"]) == ("E2E rollout", {"devices": [cpe["id"]]})
    assert campaign["counts"]["succeeded"] == 1
    assert page.get_by_test_id("campaign-image").inner_text() == f"{version} (e2e_firmware.bin)"
    devices = demo.api.get(f"/campaigns/{campaign_id}/devices").json()["items"]
    assert [(d["device_id"], d["state"]) for d in devices] == [(cpe["id"], "succeeded")]

    # The list shows the same progress bar.
    page.get_by_role("link", name=re.compile("^(Campanhas|Campaigns)$")).click()
    listed = page.get_by_test_id(f"progress-{campaign_id}").get_by_test_id("progress-text")
    assert listed.inner_text().startswith("1/1 (100%)")
    kit.shot(page, "campaigns")
    assert kit.critical_violations(page) == []


def test_edit_a_provisioning_profile(page: Any, demo: kit.Demo) -> None:
    created = demo.api.post(
        "/profiles",
        json={
            "name": "e2e-wifi",
            "triggers": ["on_demand"],
            "preconditions": {"model": ["NO-SUCH-MODEL"]},
            "desired": {"parameters": {"wifi.1.ssid": "e2e-before"}},
        },
    )
    assert created.status_code == 201, created.text
    profile_id = created.json()["id"]

    page.get_by_role("link", name=re.compile("^(Perfis|Profiles)$")).click()
    row = page.get_by_role("row").filter(has_text="e2e-wifi")
    row.get_by_role("button", name=re.compile("^(Alterar|Change) e2e-wifi$")).click()
    dialog = page.get_by_role("dialog")
    assert (
        dialog.get_by_label(re.compile("^(Parâmetro|Parameter) 1")).input_value() == "wifi.1.ssid"
    )
    dialog.get_by_label(re.compile("^(Valor|Value) 1")).fill("e2e-after")
    dialog.get_by_role("button", name=re.compile("^(Adicionar parâmetro|Add a parameter)$")).click()
    dialog.get_by_label(re.compile("^(Parâmetro|Parameter) 2")).fill("wifi.1.channel")
    dialog.get_by_label(re.compile("^(Valor|Value) 2")).fill("eleven")
    dialog.get_by_role("combobox", name=re.compile("^(Tipo|Type)")).nth(1).click()
    page.get_by_role("option", name="integer").click()
    dialog.get_by_role("button", name=re.compile("^(Salvar|Save)$")).click()
    dialog.get_by_text(re.compile("^(Um número inteiro|An integer)$")).wait_for()
    dialog.get_by_label(re.compile("^(Valor|Value) 2")).fill("11")
    kit.shot(page, "profile-editor")
    assert kit.critical_violations(page) == []
    dialog.get_by_role("button", name=re.compile("^(Salvar|Save)$")).click()
    page.get_by_test_id("profile-message").filter(has_text="(v2)").wait_for()
    row.filter(has_text="on_demand").wait_for()
    kit.shot(page, "profiles")
    assert kit.critical_violations(page) == []

    stored = demo.api.get(f"/profiles/{profile_id}").json()
    assert stored["version"] == 2
    assert stored["desired"] == {"parameters": {"wifi.1.ssid": "e2e-after", "wifi.1.channel": 11}}
    assert stored["preconditions"] == {"model": ["NO-SUCH-MODEL"]}
    audit = demo.api.get(
        "/audit", params={"action": "acs.profiles.update", "target": f"profile:{profile_id}"}
    ).json()["items"]
    assert [entry["actor"] for entry in audit] == ["user:admin"]


def test_pause_resume_and_abort_a_campaign(page: Any, demo: kit.Demo) -> None:
    cpe = _fleet_cpes(demo)[3]
    version = "V9.9.8-e2e"
    image = firmware_image(version)
    uploaded = demo.api.post(
        "/firmware",
        params={"version": version, "sha256": hashlib.sha256(image).hexdigest()},
        content=image,
        headers={"content-type": "application/octet-stream"},
    )
    assert uploaded.status_code == 201, uploaded.text
    # A window that is closed now: the device waits, so every move is the buttons'.
    hour = (datetime.now(UTC).hour + 2) % 24
    window = {"start": f"{hour:02d}:00", "end": f"{hour:02d}:30", "timezone": "UTC"}
    created = demo.api.post(
        "/campaigns",
        json={
            "name": "E2E on hold", "firmware": uploaded.json()["id"],
            "target": {"devices": [cpe["id"]]}, "window": window,
        },
    )  # fmt: skip
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]

    page.goto(f"{demo.url}/provisioning/campaigns/{campaign_id}")
    page.get_by_role("heading", name=re.compile("^E2E on hold")).wait_for()
    heading = page.get_by_role("heading", name=re.compile("^E2E on hold"))
    steps = [
        ("Pausar|Pause", "paused"),
        ("Retomar|Resume", "running"),
        ("Abortar|Abort", "cancelled"),
    ]
    for label, status in steps:
        page.get_by_role("button", name=re.compile(f"^({label})$")).click()
        page.get_by_test_id("campaign-message").filter(has_text=status).wait_for()
        heading.filter(has_text=status).wait_for()
        assert demo.api.get(f"/campaigns/{campaign_id}").json()["status"] == status
    # A cancelled campaign whose device never started has no action left.
    for label in ("Pausar|Pause", "Retomar|Resume", "Abortar|Abort", "Reverter|Roll back"):
        assert page.get_by_role("button", name=re.compile(f"^({label})")).count() == 0
    kit.shot(page, "campaign-cancelled")
    assert kit.critical_violations(page) == []
    actions = [
        entry["action"]
        for entry in demo.api.get(
            "/audit", params={"target": f"campaign:{campaign_id}", "limit": 50}
        ).json()["items"]
        if entry["actor"] == "user:admin"
    ]
    assert sorted(actions) == [  # the create through the API, then the three buttons
        "acs.campaigns.cancel",
        "acs.campaigns.create",
        "acs.campaigns.pause",
        "acs.campaigns.resume",
    ]
