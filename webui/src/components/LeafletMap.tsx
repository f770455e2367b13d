/** A Leaflet map of circle markers; the markers show even when no tile loads. */
import { Box } from "@mui/material";
import { useEffect, useRef } from "react";
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { useSession } from "../session";

export interface MapMarker {
  id: string;
  lat: number;
  lng: number;
  label: string;
  colour?: string;
  href?: string;
}

/** An empty 1×1 GIF: what a tile that fails to load shows instead of a broken image. */
const BLANK_TILE = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==";

export default function LeafletMap({ markers, height = 480 }: { markers: MapMarker[]; height?: number }) {
  const element = useRef<HTMLDivElement>(null);
  const { manifest } = useSession();
  const tileUrl = manifest?.map?.tile_url ?? "";
  useEffect(() => {
    if (!element.current) return;
    const map = L.map(element.current, { attributionControl: Boolean(tileUrl) });
    if (tileUrl) {
      const attribution = tileUrl.includes("openstreetmap.org") ? "© OpenStreetMap contributors" : "";
      L.tileLayer(tileUrl, { maxZoom: 19, errorTileUrl: BLANK_TILE, attribution }).addTo(map);
    }
    const layer = L.featureGroup().addTo(map);
    for (const marker of markers) {
      const circle = L.circleMarker([marker.lat, marker.lng], {
        radius: 8,
        color: marker.colour ?? "#1565c0",
        fillOpacity: 0.7,
      }).addTo(layer);
      const label = document.createElement("span");
      label.textContent = marker.label;
      circle.bindTooltip(label);
      if (marker.href) circle.on("click", () => (window.location.href = marker.href!));
    }
    if (markers.length > 0) map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 15 });
    else map.setView([-22.9, -43.2], 11);
    return () => {
      map.remove();
    };
  }, [markers, tileUrl]);
  return (
    <Box
      ref={element}
      data-testid="map"
      data-markers={markers.length}
      role="region"
      aria-label="map"
      sx={{ height, width: "100%", borderRadius: 1, bgcolor: "action.hover" }}
    />
  );
}
