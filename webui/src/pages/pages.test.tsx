import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it } from "vitest";
import { I18nProvider } from "../i18n";
import { coerce, SchemaForm } from "../panels/FormPanel";
import { seriesPoints, pluck, Tree } from "../panels/kinds";
import { toMarkers } from "../panels/MapPanel";
import { heatCells } from "./OltPage";
import { buildTree, ParameterTree, typedValue, type Parameter } from "./ParameterTree";

const parameter = (path: string, value: string): Parameter => ({ path, value, type: "string", writable: false, read_at: null });

describe("parameter tree", () => {
  const parameters = [
    parameter("Device.DeviceInfo.SoftwareVersion", "V3R017"),
    parameter("Device.DeviceInfo.Manufacturer", "Huawei"),
    parameter("Device.WiFi.SSID.1.SSID", "casa"),
  ];

  it("nests parameters by path and filters by name or value", () => {
    const root = buildTree(parameters);
    const device = root.children.get("Device")!;
    expect([...device.children.keys()]).toEqual(["DeviceInfo", "WiFi"]);
    const filtered = buildTree(parameters, "casa").children.get("Device")!;
    expect([...filtered.children.keys()]).toEqual(["WiFi"]);
  });

  it("types a new value by the parameter's CWMP type", () => {
    const typed = (type: string, text: string) => typedValue({ ...parameter("A.B", ""), type }, text);
    expect(typed("boolean", "true")).toBe(true);
    expect(typed("xsd:boolean".replace("xsd:", ""), "0")).toBe(false);
    expect(typed("unsignedInt", "42")).toBe(42);
    expect(typed("int", "-3")).toBe(-3);
    expect(typed("unsignedInt", "many")).toBe("many");
    expect(typed("string", "casa")).toBe("casa");
  });

  it("offers to change a leaf unless it is known read-only", () => {
    const edited: string[] = [];
    render(
      <ParameterTree
        parameters={[{ ...parameter("Device.WiFi.SSID.1.SSID", "casa"), writable: null }, parameter("Device.DeviceInfo.Manufacturer", "Huawei")]}
        filter=""
        onEdit={(p) => edited.push(p.path)}
        editLabel="change"
      />,
    );
    fireEvent.click(screen.getByRole("button", { name: "change Device.WiFi.SSID.1.SSID" }));
    expect(edited).toEqual(["Device.WiFi.SSID.1.SSID"]);
    expect(screen.queryByRole("button", { name: "change Device.DeviceInfo.Manufacturer" })).toBeNull();
  });

  it("shows the values that match the filter", () => {
    render(<ParameterTree parameters={parameters} filter="software" />);
    const tree = screen.getByTestId("parameter-tree");
    expect(tree.textContent).toContain("V3R017");
    expect(tree.textContent).not.toContain("Huawei");
  });
});

describe("generic kinds", () => {
  it("reads series as pairs or objects", () => {
    expect(seriesPoints({ points: [["2026-01-01T00:00:00Z", 1.5]] })).toEqual([["2026-01-01T00:00:00Z", 1.5]]);
    expect(seriesPoints({ items: [{ t: "x", v: "2" }] }, "t", "v")).toEqual([["x", 2]]);
    expect(seriesPoints({ nothing: true })).toEqual([]);
    expect(pluck({ devices: { online: 3 } }, "devices.online")).toBe(3);
  });

  it("makes markers only of rows with coordinates", () => {
    const markers = toMarkers([
      { id: "a", name: "POP", latitude: -22.9, longitude: -43.2 },
      { id: "b", name: "nowhere", latitude: null, longitude: null },
    ]);
    expect(markers).toEqual([{ id: "a", lat: -22.9, lng: -43.2, label: "POP" }]);
  });

  it("lays the signal matrix out as heat-map cells", () => {
    const onu = (rx: number | null) => ({ id: "o", name: "", serial: "", rx_dbm: rx, bucket: "good", outlier: false, degrading: false });
    const cells = heatCells({
      ports: [
        { port: "0/1/0", median_rx_dbm: -20, diagnosis: null, onus: [onu(-20), onu(null)] },
        { port: "0/1/1", median_rx_dbm: -21, diagnosis: null, onus: [onu(-21)] },
      ],
    });
    expect(cells).toEqual([
      [0, 0, -20],
      [1, 0, "-"],
      [0, 1, -21],
    ]);
  });

  it("renders a device tree with links and statuses", () => {
    render(
      <MemoryRouter>
        <Tree nodes={[{ id: "olt", name: "OLT-1", kind: "olt", status: "online", children: [{ id: "onu", name: "ONU-1", kind: "onu", status: "los" }] }]} />
      </MemoryRouter>,
    );
    expect(screen.getAllByRole("treeitem")).toHaveLength(2);
    expect(screen.getByRole("link", { name: /ONU-1/ }).getAttribute("href")).toBe("/devices/onu");
    expect(screen.getByText("los")).toBeTruthy();
  });
});

describe("JSON-Schema form", () => {
  it("sends typed values and leaves empty fields out", async () => {
    const sent: Record<string, unknown>[] = [];
    render(
      <I18nProvider initial="en">
        <SchemaForm
          schema={{
            properties: {
              name: { type: "string", title: "Name" },
              vlan: { type: ["integer", "null"], title: "VLAN" },
              note: { type: "string", title: "Note" },
            },
            required: ["name"],
          }}
          onSubmit={async (value) => sent.push(value)}
        />
      </I18nProvider>,
    );
    fireEvent.change(screen.getByLabelText(/Name/), { target: { value: "ONU 7" } });
    fireEvent.change(screen.getByLabelText(/VLAN/), { target: { value: "100" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(sent).toEqual([{ name: "ONU 7", vlan: 100 }]));
    expect(coerce({ type: "number" }, "1.5")).toBe(1.5);
  });
});
