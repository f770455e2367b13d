import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Loaded } from "../hooks";
import { I18nProvider, MESSAGES } from "../i18n";
import { DASH_EN, DASH_PT_BR } from "../i18n-dash";
import { known, SilenceDialog, silenceBody } from "./Alerts";
import type { AggregateGroup } from "./Dashboard";
import { seriesSummary, TELEMETRY_RANGES } from "./DevicePage";
import { withTag } from "./Inventory";
import { localToIso } from "./Live";
import { latestValues, levelOf, MAP_METRICS, worstPerSite } from "./MapPage";
import { countAll, FailureRate, failureRate, Stat, MainLinks, minutesText, Reboots, SignalPerOlt, signalTotals, Sla, SnrPerRegion, Tickets, type Kpis } from "./DashboardSections";

/** `fetch` answering JSON from `routes` (path without the query -> body); records the URLs asked. */
function stubFetch(routes: Record<string, unknown>) {
  const asked: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string) => {
      asked.push(url);
      const body = routes[url.split("?")[0]];
      if (body === undefined) return new Response(JSON.stringify({ title: "Not found" }), { status: 404 });
      return new Response(JSON.stringify(body), { status: 200 });
    }),
  );
  return asked;
}

afterEach(() => vi.unstubAllGlobals());

function wrap(children: ReactNode, locale: "en" | "pt-BR" = "en") {
  return render(
    <MemoryRouter>
      <I18nProvider initial={locale}>{children}</I18nProvider>
    </MemoryRouter>,
  );
}

const group = (key: string, fields: Partial<AggregateGroup>): AggregateGroup => ({
  key,
  label: key,
  devices: 0,
  reporting: 0,
  nonzero: 0,
  samples: 0,
  sum: 0,
  avg: null,
  min: null,
  max: null,
  ...fields,
});

const KPIS: Kpis = {
  period: { from: "2026-12-03T10:00:00+00:00", to: "2026-12-04T10:00:00+00:00" },
  availability: { network: { availability_percent: 98.75, devices: 40 } },
  sla: { customers_with_target: 10, met: 8, breached: 2 },
  incidents: {
    total: 3,
    recovered: 2,
    mttr_seconds: 1800,
    regions: [
      { region: "Zona Sul", incidents: 2, recovered: 2, mttr_seconds: 1800 },
      { region: "", incidents: 1, recovered: 0, mttr_seconds: null },
    ],
  },
  reboots: {
    total: 9,
    devices: 3,
    top: [
      { device_id: "d1", name: "router-1", count: 5 },
      { device_id: "d2", name: "", serial: "ZTEG1A2B3C4D", count: 2 },
      { device_id: "d3", name: "", count: 2 },
    ],
  },
};

const loaded = (data?: Kpis): Loaded<Kpis> => ({ data, error: undefined, loading: !data, reload: () => undefined });

describe("dashboard figures", () => {
  it("takes the failure rate as the network's unavailability", () => {
    expect(failureRate(KPIS)).toBeCloseTo(1.25);
    expect(failureRate({ availability: { network: { availability_percent: null, devices: 0 } } })).toBeNull();
    expect(failureRate(undefined)).toBeNull();
  });

  it("folds OLTs into one row: extremes of the groups, mean over samples", () => {
    const totals = signalTotals([
      group("a", { reporting: 2, samples: 2, sum: -40, avg: -20, min: -21, max: -19 }),
      group("b", { reporting: 1, samples: 6, sum: -150, avg: -25, min: -27.5, max: -23 }),
      group("c", { devices: 3 }),
    ]);
    expect(totals).toEqual({ reporting: 3, min: -27.5, max: -19, avg: -190 / 8 });
    expect(signalTotals([])).toEqual({ reporting: 0, min: null, max: null, avg: null });
  });

  it("writes seconds as minutes", () => {
    expect(minutesText(1800, "en")).toBe("30 min");
    expect(minutesText(95, "pt-BR")).toBe("1,6 min");
    expect(minutesText(null, "en")).toBe("—");
  });

  it("has every dashboard message in both languages", () => {
    expect(Object.keys(DASH_PT_BR).sort()).toEqual(Object.keys(DASH_EN).sort());
    for (const key of Object.keys(DASH_EN) as (keyof typeof DASH_EN)[]) {
      expect(MESSAGES.en[key]).toBe(DASH_EN[key]);
      expect(MESSAGES["pt-BR"][key]).toBe(DASH_PT_BR[key]);
    }
  });
});

describe("dashboard cards", () => {
  it("shows the failure rate, or asks for the reports plugin", () => {
    const { unmount } = wrap(<FailureRate kpis={loaded(KPIS)} available />);
    expect(screen.getByTestId("stat-failure-rate").textContent).toBe("1.25 %");
    expect(screen.getByTestId("stat-failure-rate").dataset.value).toBe(String(100 - 98.75));
    unmount();
    wrap(<FailureRate kpis={loaded()} available={false} />, "pt-BR");
    expect(screen.getByTestId("stat-failure-rate").textContent).toBe(DASH_PT_BR["dash.needsReports"]);
  });

  it("counts main links up and lists the ones down", async () => {
    stubFetch({
      "/api/v1/main-links": {
        items: [
          { name: "uplink-A", host: "203.0.113.1", port: 179, status: "up", down_since: null },
          { name: "uplink-B", host: "203.0.113.2", port: 179, status: "down", down_since: "2026-12-04T09:00:00+00:00" },
        ],
        next_cursor: null,
      },
    });
    wrap(<MainLinks available />);
    await waitFor(() => expect(screen.getByTestId("stat-links").textContent).toBe("1/2 up"));
    expect(screen.getByTestId("stat-links").dataset.value).toBe("1");
    expect(screen.getByTestId("links-down").textContent).toContain("uplink-B (203.0.113.2:179) down since");
    expect(screen.getByTestId("links-down").textContent).not.toContain("uplink-A");
  });

  it("says so when no main link is configured", async () => {
    stubFetch({ "/api/v1/main-links": { items: [], next_cursor: null } });
    wrap(<MainLinks available />, "pt-BR");
    await waitFor(() => expect(screen.getByTestId("stat-links").textContent).toBe("nenhum configurado"));
  });

  it("shows the signal per OLT for the period asked, each OLT from the first Rx metric it reports", async () => {
    const answers: Record<string, AggregateGroup[]> = {
      // The OLT manager's name: only OLT-2 is collected.
      "onu.rx_dbm": [group("olt-2", { label: "OLT-2", reporting: 1, samples: 4, sum: -100, avg: -25, min: -26, max: -24 }), group("olt-1", { label: "OLT-1" })],
      // Imported samples: OLT-1, and OLT-2 again (ignored: it has collected ones).
      "onu.rx_power_dbm": [
        group("olt-1", { label: "OLT-1", reporting: 2, samples: 4, sum: -80, avg: -20, min: -21, max: -19 }),
        group("olt-2", { label: "OLT-2", reporting: 5, samples: 9, sum: -90, avg: -10, min: -11, max: -9 }),
        group("olt-3", { label: "OLT-3", devices: 2 }),
      ],
    };
    const asked: Record<string, string>[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) => {
        const query = Object.fromEntries(new URLSearchParams(url.split("?")[1]));
        asked.push(query);
        const body = { group_by: "olt", metric: query.metric, start: "2026-12-03T10:00:00+00:00", end: "2026-12-04T10:00:00+00:00", groups: answers[query.metric] };
        return new Response(JSON.stringify(body), { status: 200 });
      }),
    );
    wrap(<SignalPerOlt period={{ from: "2026-12-03T10:00:00.000Z", to: "2026-12-04T10:00:00.000Z" }} />);
    const table = await screen.findByTestId("signal-per-olt");
    const base = { group_by: "olt", kind: "onu", start: "2026-12-03T10:00:00.000Z", end: "2026-12-04T10:00:00.000Z" };
    expect(asked.slice(0, 2)).toEqual([
      { ...base, metric: "onu.rx_dbm" },
      { ...base, metric: "onu.rx_power_dbm" },
    ]);
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((row) => [row.getAttribute("data-key"), row.getAttribute("data-metric")])).toEqual([
      ["*", null],
      ["olt-2", "onu.rx_dbm"],
      ["olt-1", "onu.rx_power_dbm"],
    ]);
    expect(rows[0].textContent).toContain("All OLTs");
    expect(rows[0].querySelector('[data-field="avg"]')?.textContent).toBe("-22.5 dBm");
    expect(rows[0].querySelector('[data-field="min"]')?.textContent).toBe("-26.0 dBm");
    expect(rows[0].querySelector('[data-field="reporting"]')?.textContent).toBe("3");
    expect(rows[2].querySelector('[data-field="max"]')?.textContent).toBe("-19.0 dBm");
    expect(within(rows[1]).getByRole("link", { name: "OLT-2" }).getAttribute("href")).toBe("/olts/olt-2");
  });

  it("shows DSL SNR margins per region only where DSL CPEs report them", async () => {
    const period = { from: "2026-12-03T10:00:00.000Z", to: "2026-12-04T10:00:00.000Z" };
    const answer = (groups: AggregateGroup[]) => ({ group_by: "region", metric: "cpe.dsl_snr_down_db", start: period.from, end: period.to, groups });
    const asked = stubFetch({
      "/api/v1/telemetry/query": answer([
        group("Norte", { reporting: 2, samples: 4, sum: 50, avg: 12.5, min: 9.0, max: 15.2 }),
        group("Sul", { devices: 3 }),
      ]),
    });
    wrap(<SnrPerRegion period={period} />);
    const table = await screen.findByTestId("snr-per-region");
    expect(asked[0]).toContain("metric=cpe.dsl_snr_down_db");
    expect(asked[0]).toContain("group_by=region");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((row) => row.getAttribute("data-key"))).toEqual(["Norte"]);
    expect(rows[0].querySelector('[data-field="avg"]')?.textContent).toBe("12.5 dB");
    expect(rows[0].querySelector('[data-field="min"]')?.textContent).toBe("9.0 dB");
    expect(rows[0].querySelector('[data-field="reporting"]')?.textContent).toBe("2");
  });

  it("shows no SNR card on a network without DSL CPEs", async () => {
    const asked = stubFetch({
      "/api/v1/telemetry/query": { group_by: "region", metric: "cpe.dsl_snr_down_db", start: "", end: "", groups: [group("Sul", { devices: 3 })] },
    });
    const { container } = wrap(<SnrPerRegion period={{ from: "a", to: "b" }} />);
    await waitFor(() => expect(asked.length).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(container.textContent).toBe("");
  });

  it("lists the CPEs that rebooted most, the frequent ones marked", () => {
    wrap(<Reboots kpis={loaded(KPIS)} available />);
    expect(screen.getByTestId("reboots-total").dataset.value).toBe("9");
    expect(screen.getByTestId("reboots-devices").textContent).toBe("3");
    const links = screen.getAllByRole("link");
    expect(links.map((link) => [link.textContent, link.getAttribute("href")])).toEqual([
      ["router-1", "/devices/d1"],
      ["ZTEG1A2B3C4D", "/devices/d2"],
      ["d3", "/devices/d3"],
    ]);
    expect(screen.getByText("5").closest(".MuiChip-root")).not.toBeNull();
  });

  it("shows MTTR, incidents, breaches and incidents per region", () => {
    wrap(<Sla kpis={loaded(KPIS)} available />, "pt-BR");
    expect(screen.getByTestId("sla-mttr").textContent).toBe("30 min");
    expect(screen.getByTestId("sla-incidents").textContent).toBe("3");
    expect(screen.getByTestId("sla-breaches").textContent).toBe("2 / 10");
    expect(screen.getByTestId("sla-availability").textContent).toBe("98,75 %");
    const rows = within(screen.getByTestId("incidents-per-region")).getAllByRole("row").slice(1);
    expect(rows.map((row) => row.textContent)).toEqual(["Zona Sul2230 min", "(sem região)10—"]);
  });

  it("totals the ticket evolution as the API gives it", async () => {
    stubFetch({
      "/api/v1/tickets/evolution": {
        days: 14,
        opened: 5,
        resolved: 3,
        open_now: 4,
        points: Array.from({ length: 14 }, (_, day) => ({
          start: new Date(Date.UTC(2026, 10, 20 + day)).toISOString(),
          end: new Date(Date.UTC(2026, 10, 21 + day)).toISOString(),
          opened: day === 13 ? 5 : 0,
          resolved: day === 13 ? 3 : 0,
          open: day === 13 ? 4 : 2,
        })),
      },
    });
    wrap(<Tickets available />);
    expect((await screen.findByTestId("tickets-opened")).textContent).toBe("5");
    expect(screen.getByTestId("tickets-resolved").textContent).toBe("3");
    expect(screen.getByTestId("tickets-open-now").textContent).toBe("4");
    expect(screen.getByRole("img", { name: DASH_EN["dash.tickets"] })).toBeTruthy();
  });
});

describe("alerts and incidents", () => {
  it("silences an alert's rule everywhere for the hours chosen", () => {
    const now = new Date("2026-12-04T10:00:00Z");
    expect(silenceBody({ rule_id: "r1", title: "PPPoE errors: router" }, 4, "  ", now)).toEqual({
      reason: "PPPoE errors: router",
      starts_at: "2026-12-04T10:00:00.000Z",
      ends_at: "2026-12-04T14:00:00.000Z",
      rule_id: "r1",
      scope: { kind: "all" },
    });
    expect(silenceBody({ rule_id: "r1", title: "x" }, 1, "maintenance", now).reason).toBe("maintenance");
  });

  it("posts the silence and reports until when, or shows the server's refusal", async () => {
    const bodies: unknown[] = [];
    let refuse = true;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_url: string, init: RequestInit) => {
        bodies.push(JSON.parse(String(init.body)));
        if (refuse) return new Response(JSON.stringify({ title: "Invalid body", detail: "body.rule_id: no such rule" }), { status: 422 });
        return new Response(JSON.stringify({ id: "s1" }), { status: 201 });
      }),
    );
    const done: string[] = [];
    wrap(<SilenceDialog alert={{ id: "a1", status: "open", rule_id: "r1", rule_name: "PPPoE errors", device_id: null }} onClose={() => undefined} onDone={(text) => done.push(text)} />);
    expect(screen.getByRole("dialog").textContent).toContain("Silence: PPPoE errors");
    fireEvent.change(screen.getByLabelText("Reason"), { target: { value: "window" } });
    fireEvent.click(screen.getByRole("button", { name: "Silence" }));
    expect((await screen.findByRole("alert")).textContent).toContain("body.rule_id: no such rule");
    refuse = false;
    fireEvent.click(screen.getByRole("button", { name: "Silence" }));
    await waitFor(() => expect(done).toHaveLength(1));
    expect(done[0]).toMatch(/^Rule silenced until /);
    const body = bodies[1] as { rule_id: string; reason: string; starts_at: string; ends_at: string };
    expect([body.rule_id, body.reason]).toEqual(["r1", "window"]);
    expect(Date.parse(body.ends_at) - Date.parse(body.starts_at)).toBe(4 * 3600000);
  });
});

describe("map by metric", () => {
  const [rx, latency] = MAP_METRICS;

  it("reads ONU Rx under the collector's name first, then the imported one", () => {
    expect(rx.metrics).toEqual(["onu.rx_dbm", "onu.rx_power_dbm"]);
    expect(latency.metrics).toEqual(["cpe.ping_avg_ms"]);
  });

  it("grades a value by the metric's bounds, lower or higher being worse", () => {
    expect([-20, -25, -25.5, -27, -28].map((value) => levelOf(rx, value))).toEqual(["good", "good", "warning", "warning", "critical"]);
    expect([10, 50, 60, 100, 150].map((value) => levelOf(latency, value))).toEqual(["good", "good", "warning", "warning", "critical"]);
  });

  it("takes each device's latest hourly mean and each site's worst device", () => {
    const values = latestValues([
      { entity: "a", points: [["t1", -20], ["t2", -21], ["t3", null]] },
      { entity: "b", points: [["t1", -26]] },
      { entity: "c", points: [["t1", null]] },
    ]);
    expect([...values]).toEqual([["a", -21], ["b", -26]]);
    const devices = [
      { id: "a", site_id: "s1" },
      { id: "b", site_id: "s1" },
      { id: "c", site_id: "s2" },
      { id: "d", site_id: null },
    ];
    expect([...worstPerSite(rx, devices, values)]).toEqual([["s1", -26]]);
    expect([...worstPerSite(latency, devices, new Map([["a", 10], ["b", 90]]))]).toEqual([["s1", 90]]);
  });
});

describe("counting a list", () => {
  it("follows the cursors to the end, 500 a page", async () => {
    const asked = stubFetch({});
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) => {
        asked.push(url);
        const query = new URLSearchParams(url.split("?")[1]);
        const items = query.get("cursor") ? [1, 2] : Array.from({ length: 500 }, (_, n) => n);
        return new Response(JSON.stringify({ items, next_cursor: query.get("cursor") ? null : "c1" }), { status: 200 });
      }),
    );
    expect(await countAll("/alerts", { status: "open", severity: "critical" })).toBe(502);
    expect(asked.map((url) => Object.fromEntries(new URLSearchParams(url.split("?")[1])))).toEqual([
      { status: "open", severity: "critical", limit: "500" },
      { status: "open", severity: "critical", limit: "500", cursor: "c1" },
    ]);
  });
});

describe("device telemetry", () => {
  it("sums a series up: lowest, mean, highest, latest", () => {
    expect(
      seriesSummary([
        ["t1", -20],
        ["t2", null],
        ["t3", -22],
        ["t4", -21],
      ]),
    ).toEqual({ min: -22, avg: -21, max: -20, last: -21 });
    expect(seriesSummary([["t1", null]])).toBeNull();
    expect(TELEMETRY_RANGES).toEqual([6, 24, 168, 720]);
  });
});

describe("inventory tags", () => {
  it("adds a tag once and removes it, keeping the others in order", () => {
    expect(withTag(["a", "b"], "c", true)).toEqual(["a", "b", "c"]);
    expect(withTag(["a", "c", "b"], "c", true)).toEqual(["a", "b", "c"]);
    expect(withTag(["a", "c", "b"], "c", false)).toEqual(["a", "b"]);
    expect(withTag([], "c", false)).toEqual([]);
  });
});

describe("figures that open their list", () => {
  it("links a stat card to the list behind it", () => {
    wrap(<Stat label="Offline" value={3} testid="stat-offline" href="/inventory/devices?status=offline" />);
    expect(screen.getByRole("link").getAttribute("href")).toBe("/inventory/devices?status=offline");
    expect(screen.getByTestId("stat-offline").dataset.value).toBe("3");
  });

  it("takes a filter from the address only when it is a known value", () => {
    expect(known(["open", "resolved"], "open")).toBe("open");
    expect(known(["open", "resolved"], "bogus")).toBe("");
    expect(known(["open"], null)).toBe("");
  });
});

describe("event history", () => {
  it("turns the browser's local time into an instant, empty as no bound", () => {
    expect(localToIso("2026-12-04T10:30")).toBe(new Date(2026, 11, 4, 10, 30).toISOString());
    expect(localToIso("")).toBeUndefined();
    expect(localToIso("not a time")).toBeUndefined();
  });
});
