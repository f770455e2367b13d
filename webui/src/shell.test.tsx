import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it } from "vitest";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { I18nProvider, MESSAGES, useI18n } from "./i18n";
import { fillPath, hasRoute, panelsFor, type Manifest, type PanelSpec } from "./manifest";
import { buildMenus } from "./navigation";
import { actionsFor, alertActions } from "./pages/Alerts";
import { allowedModuleUrl } from "./panels/ModulePanel";
import { PanelCard } from "./panels/PanelHost";

const panel = (fields: Partial<PanelSpec>): PanelSpec => ({
  id: "p",
  slot: "dashboard",
  title: "Panel",
  kind: "stat",
  permission: "devices.read",
  api: "",
  module_url: "",
  api_version: "v1",
  titles: {},
  options: {},
  order: 100,
  plugin: "test",
  ...fields,
});

const manifest = (fields: Partial<Manifest> = {}): Manifest => ({
  version: "0.1.0",
  locales: ["pt-BR", "en"],
  user: { username: "ana", roles: ["viewer"] },
  menus: [
    {
      id: "inventory",
      items: [{ menu: "inventory", label: "Devices", path: "/inventory/devices", permission: "devices.read", labels: {}, order: 100 }],
    },
  ],
  panels: [],
  routes: ["GET /devices", "GET /alerts", "POST /alerts/{id}/ack", "POST /alerts/{id}/resolve", "POST /alerts/{id}/notes/x"],
  ...fields,
});

describe("i18n", () => {
  function Probe() {
    const { t, setLocale, pick } = useI18n();
    return (
      <>
        <p>{t("dash.title")}</p>
        <p>{pick("Hello", { "pt-BR": "Olá" })}</p>
        <button onClick={() => setLocale("en")}>en</button>
      </>
    );
  }

  it("switches language and remembers it", () => {
    render(
      <I18nProvider initial="pt-BR">
        <Probe />
      </I18nProvider>,
    );
    expect(screen.getByText("Visão geral")).toBeTruthy();
    expect(screen.getByText("Olá")).toBeTruthy();
    fireEvent.click(screen.getByText("en"));
    expect(screen.getByText("Overview")).toBeTruthy();
    expect(screen.getByText("Hello")).toBeTruthy();
    expect(localStorage.getItem("rjc.locale")).toBe("en");
  });

  it("has every message in both languages", () => {
    expect(Object.keys(MESSAGES["pt-BR"]).sort()).toEqual(Object.keys(MESSAGES.en).sort());
    for (const text of Object.values(MESSAGES["pt-BR"])) expect(text).not.toBe("");
  });
});

describe("manifest", () => {
  it("places panels by slot and skips API versions the shell does not speak", () => {
    const loaded = manifest({
      panels: [panel({ id: "a" }), panel({ id: "b", api_version: "v2" }), panel({ id: "c", slot: "device.tab" })],
    });
    expect(panelsFor(loaded, "dashboard").map((p) => p.id)).toEqual(["a"]);
    expect(fillPath("/devices/{id}/events", { id: "a b" })).toBe("/devices/a%20b/events");
    expect(hasRoute(loaded, "GET /alerts")).toBe(true);
    expect(hasRoute(loaded, "GET /incidents")).toBe(false);
  });

  it("adds the shell's pages the user may see, once", () => {
    const menus = buildMenus(manifest(), (permission) => permission === "devices.read");
    const inventory = menus.find((menu) => menu.id === "inventory")!;
    expect(inventory.items.map((item) => item.path)).toEqual([
      "/inventory/devices",
      "/inventory/olts",
      "/inventory/topology",
    ]);
    expect(menus.map((menu) => menu.id)).toEqual(["inventory", "monitoring"]);
    expect(buildMenus(manifest(), () => false).map((menu) => menu.id)).toEqual(["inventory"]);
  });

  it("offers the alert actions the server has", () => {
    expect(alertActions(manifest())).toEqual(["ack", "resolve"]);
    expect(alertActions(null)).toEqual([]);
  });

  it("offers only the alert actions that apply to its status", () => {
    const actions = alertActions(manifest());
    expect(actionsFor(actions, "open")).toEqual(["ack", "resolve"]);
    expect(actionsFor(actions, "acknowledged")).toEqual(["resolve"]);
    expect(actionsFor(actions, "resolved")).toEqual([]);
  });
});

describe("panels", () => {
  function Broken(): never {
    throw new Error("boom");
  }

  it("keeps a failing panel inside its error boundary", () => {
    const quiet = console.error;
    console.error = () => {};
    try {
      render(
        <>
          <ErrorBoundary title="Broken panel">
            <Broken />
          </ErrorBoundary>
          <p>still here</p>
        </>,
      );
    } finally {
      console.error = quiet;
    }
    expect(screen.getByTestId("panel-error").textContent).toContain("Broken panel: boom");
    expect(screen.getByText("still here")).toBeTruthy();
  });

  it("mounts an ES-module panel at run time and unmounts it", async () => {
    const source = `export default function mount(element, context) {
      element.textContent = "module " + context.locale + " " + context.params.id;
      return () => { globalThis.unmounted = true; };
    }`;
    const url = `data:text/javascript,${encodeURIComponent(source)}`;
    const view = render(
      <I18nProvider initial="en">
        <MemoryRouter>
          <PanelCard panel={panel({ kind: "module", module_url: url, title: "Mod" })} params={{ id: "42" }} />
        </MemoryRouter>
      </I18nProvider>,
    );
    await waitFor(() => expect(screen.getByText("module en 42")).toBeTruthy());
    act(() => view.unmount());
    expect((globalThis as { unmounted?: boolean }).unmounted).toBe(true);
  });

  it("imports modules only from this server", () => {
    const origin = "https://acs.example.net";
    expect(allowedModuleUrl("/-/static-plugins/x/panel.js", origin)).toBe(true);
    expect(allowedModuleUrl("https://acs.example.net/-/static-plugins/x/panel.js", origin)).toBe(true);
    expect(allowedModuleUrl("https://cdn.example.com/panel.js", origin)).toBe(false);
    expect(allowedModuleUrl("//cdn.example.com/panel.js", origin)).toBe(false);
  });

  it("reports a module without a mount function in the panel, not the page", async () => {
    const url = `data:text/javascript,${encodeURIComponent("export const nothing = 1;")}`;
    render(
      <I18nProvider initial="en">
        <MemoryRouter>
          <PanelCard panel={panel({ kind: "module", module_url: url, title: "Mod" })} />
        </MemoryRouter>
      </I18nProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("panel-error").textContent).toContain("no default export"));
  });
});
