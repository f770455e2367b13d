"""The weekly SLA report: scheduled, rendered on the job queue, e-mailed, and true to the API.

The schedule fires through the real scheduler (``reports.dispatch``), the
PDF and the workbook go to a real SMTP server as attachments, and their
numbers are compared with ``GET /api/v1/reports/kpis`` over the same week.
The PDF's pages are rendered to PNG with poppler's ``pdftoppm`` and the
chart colours counted.
"""

from __future__ import annotations

import io
import json
import subprocess
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy
from openpyxl import load_workbook
from PIL import Image
from report_testkit import Scenario
from sqlalchemy import update

from rjchronos.db.types import utcnow
from rjchronos_reports.charts import BARS, OFFLINE, ONLINE
from rjchronos_reports.labels import number
from rjchronos_reports.models import schedules
from rjchronos_reports.sections import minutes

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _email_channel(client: Any, port: int) -> str:
    response = client.post(
        "/api/v1/notification-channels",
        json={
            "name": "noc-email",
            "type": "email",
            "language": "en",
            "recipient": "noc@isp.example",
            "config": {"host": "127.0.0.1", "port": port, "security": "none",
                       "from": "RJ Fibra NOC <noc@isp.example>", "timeout": 5},
        },
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _fire(kernel: Any) -> None:
    """Run the scheduler a few minutes apart, as the maintenance loop would."""
    now = utcnow()
    for step in range(3):
        kernel.jobs.run_schedules(now=now + timedelta(minutes=2 * step))


def _pixels(png: Path, colour: str, box: tuple[float, float, float, float]) -> int:
    """Pixels within ``box`` (fractions of the page) close to ``colour``."""
    image = Image.open(png).convert("RGB")
    width, height = image.size
    left, top, right, bottom = box
    region = image.crop((int(left * width), int(top * height), int(right * width),
                         int(bottom * height)))  # fmt: skip
    want = numpy.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    close = numpy.abs(numpy.asarray(region, dtype=int) - want).max(axis=2) <= 40
    return int(close.sum())


def _pdf_pages(pdf: bytes, folder: Path) -> tuple[str, list[Path]]:
    source = folder / "report.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(source), str(folder / "page")], check=True)
    return text, sorted(folder.glob("page-*.png"))


def test_weekly_sla_report(
    reports_kernel: Any,
    scenario: Scenario,
    rjc_client_factory: Any,
    smtp_server: tuple[int, Any],
    tmp_path: Path,
) -> None:
    port, mailbox = smtp_server
    admin = rjc_client_factory("admin", kernel=reports_kernel)
    operator = rjc_client_factory("operator", kernel=reports_kernel)
    channel = _email_channel(admin, port)
    created = operator.post(
        "/api/v1/report-schedules",
        json={"name": "weekly-sla", "frequency": "weekly", "formats": ["pdf", "xlsx"],
              "language": "en", "channel_ids": [channel]},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    schedule = created.json()
    # The first run is the next Monday; a schedule made a week ago fired at this week's start.
    assert schedule["next_run_at"] == (scenario.end + timedelta(days=7)).isoformat()
    with reports_kernel.db.engine.begin() as connection:
        connection.execute(
            update(schedules)
            .where(schedules.c.id == schedule["id"])
            .values(next_run_at=scenario.end)
        )

    _fire(reports_kernel)

    listed = operator.get("/api/v1/reports").json()["items"]
    mine = [r for r in listed if r["schedule_id"] == schedule["id"]]
    assert sorted(r["format"] for r in mine) == ["pdf", "xlsx"]
    assert all(r["status"] == "done" for r in mine), mine
    assert {(r["from"], r["to"]) for r in mine} == {
        (scenario.start.isoformat(), scenario.end.isoformat())
    }
    moved = operator.get(f"/api/v1/report-schedules/{schedule['id']}").json()
    assert moved["next_run_at"] == (scenario.end + timedelta(days=7)).isoformat()

    # One e-mail, both files attached.
    [(envelope, message)] = mailbox.messages
    assert envelope.rcpt_tos == ["noc@isp.example"]
    assert message["Subject"].startswith("Report weekly-sla:")
    files = {part.get_content_type(): part for part in message.iter_attachments()}
    assert set(files) == {PDF, XLSX}
    pdf, xlsx = files[PDF].get_content(), files[XLSX].get_content()
    assert pdf == operator.get(mine[[r["format"] for r in mine].index("pdf")]["download"]).content

    kpis = operator.get(
        "/api/v1/reports/kpis",
        params={"from": scenario.start.isoformat(), "to": scenario.end.isoformat()},
    ).json()
    breaches = kpis["sla"]["breaches"]
    assert breaches

    # The workbook holds the API's numbers, as numbers.
    book = load_workbook(io.BytesIO(xlsx))
    sheet_rows = list(book["sla_breaches"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[2], r[3], r[4]) for r in sheet_rows] == [
        (b["customer"], b["target_percent"], b["availability_percent"], b["shortfall_percent"])
        for b in breaches
    ]
    customers = list(book["availability_customers"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[3]) for r in customers] == [
        (c["name"], c["availability_percent"]) for c in kpis["availability"]["customers"]
    ]
    summary = {r[0]: r[1] for r in book["summary"].iter_rows(min_row=3, values_only=True)}
    assert (
        summary["Network availability (ONUs)"]
        == (kpis["availability"]["network"]["availability_percent"])
    )
    assert summary["MTTR (min)"] == minutes(kpis["incidents"]["mttr_seconds"])
    assert summary["SLA breaches"] == len(breaches)
    assert book["devices_over_time"]._charts and book["availability_regions"]._charts

    # The PDF prints the same numbers, and its pages carry the charts.
    chart_box = (0.05, 0.3, 0.95, 0.75)
    text, pages = _pdf_pages(pdf, tmp_path)
    assert "Network and SLA report" in text
    assert number(kpis["availability"]["network"]["availability_percent"], "en") in text
    assert number(minutes(kpis["incidents"]["mttr_seconds"]), "en") in text
    for breach in breaches:
        assert breach["customer"] in text
        assert number(breach["availability_percent"], "en") in text
        assert number(breach["shortfall_percent"], "en") in text
    assert len(pages) >= 2
    # Page 1: the online/offline chart below the summary, both series drawn.
    assert _pixels(pages[0], ONLINE, chart_box) > 200
    assert _pixels(pages[0], OFFLINE, chart_box) > 200
    assert _pixels(pages[0], BARS, (0, 0, 1, 1)) < 50  # no bar chart on the summary page
    # Later pages: the bar charts (availability per PON, OLT, region; incidents; signal).
    assert sum(_pixels(page, BARS, (0, 0, 1, 1)) for page in pages[1:]) > 2000

    # The run is not doubled when the scheduler passes again.
    _fire(reports_kernel)
    again = operator.get("/api/v1/reports").json()["items"]
    assert len([r for r in again if r["schedule_id"] == schedule["id"]]) == 2
    assert len(mailbox.messages) == 1


def test_channels_without_attachments_get_the_links(
    reports_kernel: Any, scenario: Scenario, rjc_client_factory: Any
) -> None:
    """A webhook channel cannot carry files: its message names where to download them."""
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        kernel = reports_kernel
        admin = rjc_client_factory("admin", kernel=kernel)
        channel = admin.post(
            "/api/v1/notification-channels",
            json={"name": "noc-hook", "type": "webhook", "language": "pt-BR",
                  "config": {"url": f"http://127.0.0.1:{server.server_port}/hook",
                             "secret": "whsec-0123456789abcdef"}},
        )  # fmt: skip
        assert channel.status_code == 201, channel.text
        schedule = admin.post(
            "/api/v1/report-schedules",
            json={"name": "daily", "frequency": "daily", "formats": ["xlsx"],
                  "channel_ids": [channel.json()["id"]]},
        ).json()  # fmt: skip
        with kernel.db.engine.begin() as connection:
            connection.execute(
                update(schedules)
                .where(schedules.c.id == schedule["id"])
                .values(next_run_at=scenario.end)
            )
        _fire(kernel)
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
    [report] = admin.get("/api/v1/reports").json()["items"]
    assert report["from"] == (scenario.end - timedelta(days=1)).isoformat()
    [message] = received
    assert f"XLSX: /api/v1/reports/{report['id']}/download" in json.dumps(message)
    assert "Relatório daily" in json.dumps(message, ensure_ascii=False)
