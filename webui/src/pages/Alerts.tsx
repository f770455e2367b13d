/** Alerts, when a plugin provides them; actions (acknowledge, resolve, ...) from the API's routes. */
import { Alert as Notice, Box, Button } from "@mui/material";
import { useState } from "react";
import { api } from "../api";
import { DataTable } from "../components/DataTable";
import { PageTitle } from "../components/PageTitle";
import { EmptyState } from "../components/StateView";
import { StatusChip } from "../components/StatusChip";
import { useI18n, type MessageKey } from "../i18n";
import { hasRoute, type Manifest } from "../manifest";
import { useSession } from "../session";

/** The actions the server offers on one alert: `POST /alerts/{id}/<action>`. */
export function alertActions(manifest: Manifest | null): string[] {
  const prefix = "POST /alerts/{id}/";
  return (manifest?.routes ?? [])
    .filter((route) => route.startsWith(prefix) && !route.slice(prefix.length).includes("/"))
    .map((route) => route.slice(prefix.length));
}

/** The actions that apply to an alert in `status`: none once resolved, `ack` only while open. */
export function actionsFor(actions: string[], status: string): string[] {
  if (status === "resolved") return [];
  return actions.filter((action) => action !== "ack" || status === "open");
}

const ACTION_LABELS: Record<string, MessageKey> = { ack: "alerts.ack", resolve: "alerts.resolve" };

export default function Alerts() {
  const { t } = useI18n();
  const { manifest } = useSession();
  const [version, setVersion] = useState(0);
  const [message, setMessage] = useState("");
  if (!hasRoute(manifest, "GET /alerts"))
    return (
      <Box>
        <PageTitle>{t("menu.alerts")}</PageTitle>
        <EmptyState text={t("common.unavailable")} />
      </Box>
    );
  const actions = alertActions(manifest);
  const label = (action: string) => (ACTION_LABELS[action] ? t(ACTION_LABELS[action]) : action);
  const act = async (id: string, action: string) => {
    try {
      await api.post(`/alerts/${id}/${action}`);
      setMessage(`${label(action)}: ${id}`);
    } catch (error) {
      setMessage((error as Error).message);
    }
    setVersion((n) => n + 1);
  };
  return (
    <Box>
      <PageTitle>{t("menu.alerts")}</PageTitle>
      {message && <Notice severity="info">{message}</Notice>}
      <DataTable<Record<string, unknown> & { id: string }>
        key={version}
        path="/alerts"
        label={t("menu.alerts")}
        refreshMs={15000}
        columns={[
          { key: "severity", label: t("common.severity"), render: (row) => <StatusChip status={String(row.severity ?? "")} /> },
          { key: "title", label: t("common.name"), render: (row) => String(row.title ?? row.summary ?? row.rule ?? row.id) },
          { key: "status", label: t("common.status") },
          { key: "opened_at", label: t("alerts.opened") },
          {
            key: "actions",
            label: "",
            render: (row) => (
              <Box sx={{ display: "flex", gap: 1 }}>
                {actionsFor(actions, String(row.status ?? "")).map((action) => (
                  <Button key={action} size="small" onClick={() => void act(row.id, action)}>
                    {label(action)}
                  </Button>
                ))}
              </Box>
            ),
          },
        ]}
      />
    </Box>
  );
}
