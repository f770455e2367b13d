/** Sites on the map with their devices, filtered by status. */
import { Box, MenuItem, TextField } from "@mui/material";
import { lazy, Suspense, useMemo, useState } from "react";
import type { Page } from "../api";
import { PageTitle } from "../components/PageTitle";
import { StateView } from "../components/StateView";
import { useGet } from "../hooks";
import { useI18n } from "../i18n";

const LeafletMap = lazy(() => import("../components/LeafletMap"));

interface Site {
  id: string;
  name: string;
  latitude: number | null;
  longitude: number | null;
}

export default function MapPage() {
  const { t } = useI18n();
  const [status, setStatus] = useState("");
  const sites = useGet<Page<Site>>("/sites", { limit: 500 });
  const devices = useGet<Page<{ site_id: string | null }>>("/devices", { status: status || undefined, limit: 500 });
  const markers = useMemo(() => {
    const counts = new Map<string, number>();
    for (const device of devices.data?.items ?? []) if (device.site_id) counts.set(device.site_id, (counts.get(device.site_id) ?? 0) + 1);
    return (sites.data?.items ?? [])
      .filter((site) => site.latitude !== null && site.longitude !== null && (!status || counts.has(site.id)))
      .map((site) => ({
        id: site.id,
        lat: site.latitude!,
        lng: site.longitude!,
        label: `${site.name}: ${counts.get(site.id) ?? 0}`,
        colour: status === "offline" ? "#c62828" : status === "online" ? "#2e7d32" : undefined,
      }));
  }, [sites.data, devices.data, status]);
  return (
    <Box>
      <PageTitle>{t("map.title")}</PageTitle>
      <TextField select size="small" label={t("common.status")} value={status} onChange={(event) => setStatus(event.target.value)} sx={{ minWidth: 180, mb: 2 }}>
        {["", "online", "offline", "unknown"].map((value) => (
          <MenuItem key={value} value={value}>
            {value || t("common.all")}
          </MenuItem>
        ))}
      </TextField>
      <StateView loading={sites.loading && !sites.data} error={sites.error ?? devices.error}>
        <Suspense fallback={<StateView loading />}>
          <LeafletMap markers={markers} height={520} />
        </Suspense>
      </StateView>
    </Box>
  );
}
