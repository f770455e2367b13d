/** The generic map panel: rows with latitude and longitude become markers. */
import { useMemo } from "react";
import LeafletMap, { type MapMarker } from "../components/LeafletMap";
import { StateView } from "../components/StateView";
import { useGet } from "../hooks";
import type { PanelSpec } from "../manifest";

type Row = Record<string, unknown>;

export function toMarkers(rows: Row[]): MapMarker[] {
  return rows
    .filter((row) => typeof row.latitude === "number" && typeof row.longitude === "number")
    .map((row) => ({
      id: String(row.id),
      lat: row.latitude as number,
      lng: row.longitude as number,
      label: String(row.name ?? row.id),
    }));
}

export default function MapPanel({ panel, path }: { panel: PanelSpec; path: string }) {
  const { data, error, loading } = useGet<{ items: Row[] }>(path, { limit: 500 });
  const markers = useMemo(() => toMarkers(data?.items ?? []), [data]);
  return (
    <StateView loading={loading && !data} error={error}>
      <LeafletMap markers={markers} height={(panel.options.height as number) ?? 360} />
    </StateView>
  );
}
