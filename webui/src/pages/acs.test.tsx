import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ApiError, type Api } from "../api";
import { problemFields } from "../components/FormDialog";
import { I18nProvider, MESSAGES } from "../i18n";
import { ACS_EN, ACS_PT_BR } from "../i18n-acs";
import { campaignActions, campaignBody, CampaignDialog, EMPTY_CAMPAIGN, progressOf, targetText } from "./Campaigns";
import {
  diagnosticBody,
  DiagnosticsDialog,
  EMPTY_DIAGNOSTIC,
  EMPTY_WIFI,
  FirmwareDialog,
  resultLines,
  wifiBody,
  WifiDialog,
  type AcsTask,
} from "./DeviceActions";
import { sha256Of, storeName, uploadQuery } from "./Firmware";
import { EMPTY_PROFILE, formToProfile, ProfileEditor, profileToForm, type Profile } from "./Profiles";

/** An API client answering from `routes` ("GET /path" -> answer or a function of the body); it records calls. */
function fakeClient(routes: Record<string, unknown | ((body: unknown) => unknown)>) {
  const calls: { method: string; path: string; body?: unknown }[] = [];
  const answer = (method: string, path: string, body?: unknown) => {
    calls.push({ method, path, body });
    const route = routes[`${method} ${path.split("?")[0]}`];
    if (route === undefined) return Promise.reject(new ApiError(404, "Not found", `no ${path}`));
    try {
      const value = typeof route === "function" ? (route as (body: unknown) => unknown)(body) : route;
      return Promise.resolve(value);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const client = {
    get: (path: string) => answer("GET", path),
    post: (path: string, body?: unknown) => answer("POST", path, body),
    put: (path: string, body: unknown) => answer("PUT", path, body),
  } as unknown as Api;
  return { client, calls };
}

const inEnglish = (node: React.ReactNode) => render(<I18nProvider initial="en">{node}</I18nProvider>);

describe("ACS messages", () => {
  it("exist in both languages and are part of the catalogue", () => {
    expect(Object.keys(ACS_PT_BR).sort()).toEqual(Object.keys(ACS_EN).sort());
    expect(MESSAGES["pt-BR"]["acs.campaigns"]).toBe("Campanhas de firmware");
    expect(MESSAGES.en["acs.campaigns"]).toBe("Firmware campaigns");
  });
});

describe("Wi-Fi dialog", () => {
  it("checks the settings as the server does", () => {
    expect(wifiBody(EMPTY_WIFI).errors).toEqual({ ssid: "acs.err.wifiEmpty" });
    expect(wifiBody({ ...EMPTY_WIFI, ssid: "x".repeat(33) }).errors.ssid).toBe("acs.err.ssid");
    expect(wifiBody({ ...EMPTY_WIFI, password: "short" }).errors.password).toBe("acs.err.password");
    expect(wifiBody({ ...EMPTY_WIFI, channel: "234" }).errors.channel).toBe("acs.err.channel");
    expect(wifiBody({ ...EMPTY_WIFI, channel: "-1" }).errors.channel).toBe("acs.err.channel");
    expect(wifiBody({ ...EMPTY_WIFI, radio: "2", ssid: "casa", channel: "36", band: "5GHz" }).body).toEqual({
      radio: 2,
      ssid: "casa",
      channel: 36,
      band: "5GHz",
    });
  });

  it("sends the change and shows the server's field error", async () => {
    const refusal = new ApiError(422, "Wi-Fi change refused", "band has no standard parameter in Device", {
      invalid_params: [{ name: "body.band", reason: "band has no standard parameter in Device" }],
    });
    const { client, calls } = fakeClient({
      "GET /devices/d1/summary": { wifi: [{ radio: 1, ssid: "casa", channel: 6, band: "2.4GHz" }] },
      "POST /devices/d1/wifi": (body: unknown) => {
        if ((body as Record<string, unknown>).band) throw refusal;
        return { id: "t1", type: "set_parameter_values", status: "done" };
      },
    });
    const queued: AcsTask[] = [];
    inEnglish(<WifiDialog deviceId="d1" client={client} onClose={() => undefined} onQueued={(task) => queued.push(task)} />);
    expect((await screen.findByTestId("wifi-current")).textContent).toBe("Now: casa · Channel 6 · 2.4GHz");
    fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(await screen.findByText("Change at least one setting")).toBeTruthy();
    expect(calls.filter((call) => call.method === "POST")).toEqual([]);
    fireEvent.change(screen.getByLabelText("SSID"), { target: { value: "casa-nova" } });
    fireEvent.change(screen.getByLabelText("Channel"), { target: { value: "6" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(queued.map((task) => task.id)).toEqual(["t1"]));
    expect(calls.at(-1)).toEqual({ method: "POST", path: "/devices/d1/wifi?wait=5", body: { radio: 1, ssid: "casa-nova", channel: 6 } });
  });

  it("reads field errors from problem+json", () => {
    const error = new ApiError(422, "Invalid", "x", { invalid_params: [{ name: "query.sha256", reason: "mismatch" }, { name: "body.target.model", reason: "bad" }] });
    expect(problemFields(error)).toEqual({ sha256: "mismatch", target: "bad" });
    expect(problemFields(new Error("plain"))).toEqual({});
  });
});

describe("diagnostics dialog", () => {
  it("checks each test's fields", () => {
    expect(diagnosticBody(EMPTY_DIAGNOSTIC).errors).toEqual({ host: "acs.err.host" });
    expect(diagnosticBody({ ...EMPTY_DIAGNOSTIC, host: "x; rm -rf /" }).errors.host).toBe("acs.err.host");
    expect(diagnosticBody({ ...EMPTY_DIAGNOSTIC, host: "192.0.2.1", count: "101" }).errors).toEqual({ count: "acs.err.count" });
    expect(diagnosticBody({ ...EMPTY_DIAGNOSTIC, type: "traceroute", host: "example.net", max_hops: "65" }).errors).toEqual({ max_hops: "acs.err.maxHops" });
    expect(diagnosticBody({ ...EMPTY_DIAGNOSTIC, type: "download", url: "ftp://x" }).errors).toEqual({ url: "acs.err.url" });
    expect(diagnosticBody({ ...EMPTY_DIAGNOSTIC, type: "download", url: "http://192.0.2.9/10MB.bin" }).body).toEqual({
      type: "download",
      url: "http://192.0.2.9/10MB.bin",
    });
  });

  it("computes the download throughput from the TR-143 times", () => {
    const lines = Object.fromEntries(
      resultLines("download", { TestBytesReceived: "12500000", BOMTime: "2026-01-01T00:00:00.000000Z", EOMTime: "2026-01-01T00:00:02.000000Z" }),
    );
    expect(lines["acs.res.throughput"]).toBe("50.0 Mbit/s");
    expect(lines["acs.res.duration"]).toBe("2.00 s");
    const portuguese = Object.fromEntries(resultLines("download", { TestBytesReceived: "12500000", BOMTime: "2026-01-01T00:00:00Z", EOMTime: "2026-01-01T00:00:04Z" }, "pt-BR"));
    expect([portuguese["acs.res.bytes"], portuguese["acs.res.throughput"]]).toEqual(["12.500.000", "25,0 Mbit/s"]);
    expect(Object.fromEntries(resultLines("ping", { SuccessCount: "4", AverageResponseTime: "12" }))["acs.res.average"]).toBe("12 ms");
  });

  it("runs a ping and shows its results once the task is done", async () => {
    const running: AcsTask = { id: "t9", type: "diagnostics", status: "running", params: { kind: "ping" }, result: { diagnostics: "requested" } };
    const done: AcsTask = {
      ...running,
      status: "done",
      result: { diagnostics: "complete", state: "Complete", results: { SuccessCount: "3", FailureCount: "1", AverageResponseTime: "17", MinimumResponseTime: "5", MaximumResponseTime: "30" } },
    };
    let polls = 0;
    const { client, calls } = fakeClient({
      "POST /devices/d1/diagnostics": running,
      "GET /devices/d1/tasks": () => ({ items: [polls++ === 0 ? running : done] }),
    });
    inEnglish(<DiagnosticsDialog deviceId="d1" client={client} onClose={() => undefined} />);
    fireEvent.change(screen.getByLabelText("Host"), { target: { value: "192.0.2.1" } });
    fireEvent.change(screen.getByLabelText("Repetitions"), { target: { value: "4" } });
    fireEvent.click(screen.getByRole("button", { name: "Run" }));
    expect(await screen.findByTestId("diagnostic-waiting")).toBeTruthy();
    const result = await screen.findByTestId("diagnostic-result", {}, { timeout: 8000 });
    expect(result.textContent).toContain("Test finished");
    expect(within(result).getByTestId("result-average").textContent).toBe("17 ms");
    expect(within(result).getByTestId("result-failure").textContent).toBe("1");
    expect(calls[0].body).toEqual({ type: "ping", host: "192.0.2.1", count: 4 });
  }, 15000);

  it("shows a failed test's state", async () => {
    const failed: AcsTask = { id: "t2", type: "diagnostics", status: "fault", params: { kind: "ping" }, fault: { message: "Error_CannotResolveHostName" } };
    const { client } = fakeClient({ "POST /devices/d1/diagnostics": failed });
    inEnglish(<DiagnosticsDialog deviceId="d1" client={client} onClose={() => undefined} />);
    fireEvent.change(screen.getByLabelText("Host"), { target: { value: "nowhere.invalid" } });
    fireEvent.click(screen.getByRole("button", { name: "Run" }));
    expect((await screen.findByTestId("diagnostic-result")).textContent).toBe("Test failed: Error_CannotResolveHostName");
  });
});

describe("firmware", () => {
  it("upgrades from a stored image and shows why the server refused", async () => {
    const { client, calls } = fakeClient({
      "GET /firmware": { items: [{ id: "img1", filename: "fw.bin", version: "V2", product_class: "HG8245", oui: "", size: 10, created_at: "" }] },
      "POST /devices/d1/tasks": () => {
        throw new ApiError(422, "Invalid task", "body.file: the image is for *-HG8245", { invalid_params: [{ name: "body.file", reason: "the image is for *-HG8245" }] });
      },
    });
    inEnglish(<FirmwareDialog deviceId="d1" client={client} onClose={() => undefined} onQueued={() => undefined} />);
    const select = await screen.findByRole("combobox", { name: /Firmware image/ });
    fireEvent.click(screen.getByRole("button", { name: "Upgrade" }));
    expect(await screen.findByText("Choose a firmware image")).toBeTruthy();
    fireEvent.mouseDown(select);
    fireEvent.click(await screen.findByRole("option", { name: /V2 — fw.bin \(HG8245\)/ }));
    fireEvent.click(screen.getByRole("button", { name: "Upgrade" }));
    expect((await screen.findByTestId("firmware-error")).textContent).toBe("body.file: the image is for *-HG8245");
    expect(calls.at(-1)).toEqual({ method: "POST", path: "/devices/d1/tasks?wait=5", body: { type: "download", file: "img1" } });
  });

  it("checks an upload's metadata", async () => {
    const file = new File(["abc"], "my firmware.bin");
    expect(uploadQuery({ version: "", product_class: "", oui: "12", filename: "a b", sha256: "x" }, null).errors).toEqual({
      file: "acs.err.file",
      version: "acs.err.version",
      oui: "acs.err.oui",
      filename: "acs.err.filename",
      sha256: "acs.err.sha256",
    });
    const digest = await sha256Of(file);
    expect(digest).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(storeName(file.name)).toBe("my_firmware.bin");
    expect(uploadQuery({ version: "V3", product_class: "", oui: "00e0fc", filename: "fw.bin", sha256: digest }, file).query).toEqual({
      version: "V3",
      sha256: digest,
      filename: "fw.bin",
      oui: "00E0FC",
    });
  });
});

describe("profile editor", () => {
  const stored: Profile = {
    id: "p1",
    version: 2,
    updated_at: "",
    created_by: "user:admin",
    name: "wifi-default",
    enabled: true,
    triggers: ["1 BOOT"],
    preconditions: { model: ["HG8245", "EG8145"] },
    desired: { parameters: { "Device.WiFi.SSID.1.SSID": "casa", "Device.ManagementServer.PeriodicInformInterval": 300 }, notifications: { "wifi.1.ssid": 2 } },
  };

  it("turns a document into the form and back, keeping what the form does not edit", () => {
    const form = profileToForm(stored);
    expect(form.lists.model).toBe("HG8245, EG8145");
    expect(form.parameters[1]).toEqual({ path: "Device.ManagementServer.PeriodicInformInterval", type: "integer", value: "300" });
    const { document } = formToProfile(form);
    expect(document).toEqual({
      name: "wifi-default",
      enabled: true,
      triggers: ["1 BOOT"],
      preconditions: { model: ["HG8245", "EG8145"] },
      desired: stored.desired,
    });
  });

  it("names the fields in error", () => {
    const bad = formToProfile({
      ...EMPTY_PROFILE,
      triggers: [],
      parameters: [
        { path: "Device.WiFi..SSID", type: "string", value: "x" },
        { path: "Device.A", type: "integer", value: "ten" },
        { path: "Device.B", type: "boolean", value: "yes" },
      ],
    });
    expect(bad.errors).toEqual({
      name: "acs.err.name",
      triggers: "acs.err.triggers",
      "parameters.0": "acs.err.path",
      "values.1": "acs.err.integer",
      "values.2": "acs.err.boolean",
    });
  });

  it("saves an edited profile as a new version and shows the server's refusal", async () => {
    let answer: unknown = new ApiError(409, "Conflict", "a profile named 'taken' exists");
    const { client, calls } = fakeClient({
      "PUT /profiles/p1": (body: unknown) => {
        if (answer instanceof Error) throw answer;
        return { ...stored, ...(body as object), version: 3 };
      },
    });
    const saved: Profile[] = [];
    inEnglish(<ProfileEditor profile={stored} client={client} onClose={() => undefined} onSaved={(profile) => saved.push(profile)} />);
    expect(screen.getByText("This profile also has objects or notifications: edit them in the JSON tab.")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Value 1"), { target: { value: "casa-2" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByTestId("profile-error")).textContent).toBe("a profile named 'taken' exists");
    answer = null;
    fireEvent.click(screen.getByRole("tab", { name: "JSON" }));
    const json = screen.getByLabelText("Profile document (JSON)") as HTMLTextAreaElement;
    expect(JSON.parse(json.value).desired.parameters["Device.WiFi.SSID.1.SSID"]).toBe("casa-2");
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(saved.map((profile) => profile.version)).toEqual([3]));
    expect((calls.at(-1)!.body as Profile).desired.notifications).toEqual({ "wifi.1.ssid": 2 });
  });

  it("refuses invalid JSON before sending it", async () => {
    const { client, calls } = fakeClient({});
    inEnglish(<ProfileEditor profile={null} client={client} onClose={() => undefined} onSaved={() => undefined} />);
    fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: "new" } });
    fireEvent.click(screen.getByRole("tab", { name: "JSON" }));
    fireEvent.change(screen.getByLabelText("Profile document (JSON)"), { target: { value: "{ nope" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByTestId("profile-error")).textContent).toMatch(/^Invalid JSON: /);
    expect(calls).toEqual([]);
  });
});

describe("campaigns", () => {
  it("measures progress by the devices that reached an end state", () => {
    expect(progressOf({ pending: 2, in_progress: 1, succeeded: 4, failed: 1, rolling_back: 0, rolled_back: 0 })).toEqual({ total: 8, finished: 5, percent: 63 });
    expect(progressOf({})).toEqual({ total: 0, finished: 0, percent: 0 });
    expect(targetText({ model: "HG8245" })).toBe("model: HG8245");
    expect(targetText({ devices: ["a", "b"] })).toBe("devices: 2");
  });

  it("offers only the actions the campaign's status allows", () => {
    expect(campaignActions("running", {})).toEqual(["pause", "cancel"]);
    expect(campaignActions("paused", { failed: 1 })).toEqual(["resume", "cancel", "rollback-failed", "rollback-all"]);
    expect(campaignActions("completed", { succeeded: 3 })).toEqual(["rollback-all"]);
    expect(campaignActions("cancelled", {})).toEqual([]);
  });

  it("checks a new campaign", () => {
    expect(campaignBody(EMPTY_CAMPAIGN).errors).toEqual({ name: "acs.err.name", firmware: "acs.err.image", target: "acs.err.target" });
    const body = campaignBody({ ...EMPTY_CAMPAIGN, name: "V2 rollout", firmware: "img1", targetKind: "devices", target: "a, b\nb", batch_size: "10", max_failures: "0", window_start: "22:00", window_end: "04:00" }).body;
    expect(body).toEqual({ name: "V2 rollout", firmware: "img1", target: { devices: ["a", "b"] }, batch_size: 10, max_failures: 0, window: { start: "22:00", end: "04:00" } });
    expect(campaignBody({ ...EMPTY_CAMPAIGN, name: "x", firmware: "i", target: "m", concurrency: "0", window_start: "25:00" }).errors).toEqual({
      concurrency: "acs.err.positive",
      window_start: "acs.err.time",
      window_end: "acs.err.time",
    });
  });

  it("creates a campaign from the dialog", async () => {
    const { client, calls } = fakeClient({
      "GET /firmware": { items: [{ id: "img1", filename: "fw.bin", version: "V2", product_class: "", oui: "", size: 10, created_at: "" }] },
      "POST /campaigns": (body: unknown) => ({ id: "c1", status: "running", counts: {}, ...(body as object) }),
    });
    const created: string[] = [];
    inEnglish(<CampaignDialog client={client} onClose={() => undefined} onCreated={(campaign) => created.push(campaign.id)} />);
    fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: "V2 for HG8245" } });
    fireEvent.mouseDown(await screen.findByRole("combobox", { name: /Firmware image/ }));
    fireEvent.click(await screen.findByRole("option", { name: /V2 — fw.bin/ }));
    fireEvent.change(screen.getByLabelText("Target"), { target: { value: "HG8245" } });
    fireEvent.click(screen.getByRole("button", { name: "Start" }));
    await waitFor(() => expect(created).toEqual(["c1"]));
    expect(calls.at(-1)!.body).toEqual({ name: "V2 for HG8245", firmware: "img1", target: { model: "HG8245" } });
  });
});
