/** Incidents (route outages, power outages, main links down): open ones and their history. */
import { Alert as Notice, Box, Button, MenuItem, Tab, Tabs, TextField } from "@mui/material";
import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { api } from "../api";
import { DataTable } from "../components/DataTable";
import { PageTitle } from "../components/PageTitle";
import { EmptyState } from "../components/StateView";
import { StatusChip } from "../components/StatusChip";
import { useI18n } from "../i18n";
import { hasRoute } from "../manifest";
import { useSession } from "../session";
import { known } from "./Alerts";
import { minutesText } from "./DashboardSections";

interface IncidentRow extends Record<string, unknown> {
  id: string;
  kind: string;
  status: string;
  title: string;
  element: { id: string | null; kind: string; name: string };
  devices: number;
  still_down: number;
  time_to_recover_seconds: number | null;
}

const KINDS = ["", "fiber", "power", "link"];

export default function Incidents() {
  const { t, locale } = useI18n();
  const { manifest, can } = useSession();
  const [params] = useSearchParams();
  const [status, setStatus] = useState(known(["open", "resolved"], params.get("status")));
  const [kind, setKind] = useState(known(KINDS, params.get("kind")));
  const [version, setVersion] = useState(0);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  if (!hasRoute(manifest, "GET /incidents"))
    return (
      <Box>
        <PageTitle>{t("inc.title")}</PageTitle>
        <EmptyState text={t("common.unavailable")} />
      </Box>
    );
  const resolvable = hasRoute(manifest, "POST /incidents/{id}/resolve") && can("alerts.ack");
  const resolve = async (id: string) => {
    try {
      await api.post(`/incidents/${id}/resolve`, {});
      setMessage({ ok: true, text: `${t("alerts.resolve")}: ${id}` });
    } catch (error) {
      setMessage({ ok: false, text: (error as Error).message });
    }
    setVersion((n) => n + 1);
  };
  const statusLabels: Record<string, string> = { "": t("common.all"), open: t("alerts.open"), resolved: t("alerts.history") };
  return (
    <Box>
      <PageTitle>{t("inc.title")}</PageTitle>
      <Tabs value={status} onChange={(_, value: string) => setStatus(value)} variant="scrollable" aria-label={t("common.status")}>
        {["", "open", "resolved"].map((value) => (
          <Tab key={value} value={value} label={statusLabels[value]} />
        ))}
      </Tabs>
      <Box sx={{ display: "flex", gap: 2, flexWrap: "wrap", my: 2 }}>
        <TextField select size="small" label={t("common.kind")} value={kind} onChange={(event) => setKind(event.target.value)} sx={{ minWidth: 160 }}>
          {KINDS.map((value) => (
            <MenuItem key={value} value={value}>
              {value ? t(`inc.kind.${value}` as "inc.kind.fiber") : t("common.all")}
            </MenuItem>
          ))}
        </TextField>
      </Box>
      {message && (
        <Notice severity={message.ok ? "info" : "error"} sx={{ mb: 1 }}>
          {message.text}
        </Notice>
      )}
      <DataTable<IncidentRow>
        key={version}
        path="/incidents"
        query={{ status: status || undefined, kind: kind || undefined }}
        label={t("inc.title")}
        refreshMs={15000}
        columns={[
          { key: "kind", label: t("common.kind"), render: (row) => (row.kind && KINDS.includes(row.kind) ? t(`inc.kind.${row.kind}` as "inc.kind.fiber") : row.kind) },
          { key: "title", label: t("common.name") },
          { key: "element", label: t("inc.element"), render: (row) => row.element.name || row.element.id || "—" },
          { key: "status", label: t("common.status"), render: (row) => <StatusChip status={row.status} /> },
          { key: "devices", label: t("inc.devices"), render: (row) => `${row.still_down.toLocaleString(locale)} / ${row.devices.toLocaleString(locale)}` },
          { key: "detected_at", label: t("inc.detected") },
          { key: "recovered_at", label: t("inc.recovered") },
          { key: "time_to_recover_seconds", label: t("inc.ttr"), render: (row) => minutesText(row.time_to_recover_seconds, locale) },
          {
            key: "actions",
            label: "",
            render: (row) =>
              resolvable && row.status === "open" ? (
                <Button size="small" onClick={() => void resolve(row.id)}>
                  {t("alerts.resolve")}
                </Button>
              ) : null,
          },
        ]}
      />
    </Box>
  );
}
