/**
 * Device events: live over Server-Sent Events (the browser resumes with Last-Event-ID), and the
 * history (`GET /events`) filtered by type, device and time.
 */
import { Box, Chip, Link, List, ListItem, ListItemText, Tab, Tabs, TextField, Typography } from "@mui/material";
import { useEffect, useState } from "react";
import { Link as RouterLink, useSearchParams } from "react-router-dom";
import { API } from "../api";
import { DataTable } from "../components/DataTable";
import { PageTitle } from "../components/PageTitle";
import { formatValue } from "../format";
import { useI18n } from "../i18n";
import { hasRoute } from "../manifest";
import { useSession } from "../session";

export interface LiveEvent {
  id: number;
  type: string;
  device_id: string | null;
  time: string;
  payload: Record<string, unknown>;
  actor?: string;
}

const KEEP = 200;

export default function Live() {
  const { t } = useI18n();
  const { manifest } = useSession();
  const [params, setParams] = useSearchParams();
  const history = hasRoute(manifest, "GET /events");
  const view = history && params.get("view") === "history" ? "history" : "live";
  return (
    <Box>
      <PageTitle>{t("live.title")}</PageTitle>
      {history && (
        <Tabs
          value={view}
          onChange={(_, value: string) => setParams(value === "history" ? { view: "history" } : {}, { replace: true })}
          aria-label={t("live.title")}
          sx={{ mb: 2 }}
        >
          <Tab value="live" label={t("live.live")} />
          <Tab value="history" label={t("live.history")} />
        </Tabs>
      )}
      {view === "history" ? <History /> : <LiveEvents />}
    </Box>
  );
}

/** `datetime-local` input text as an ISO instant in the browser's zone; "" stays undefined. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function History() {
  const { t, locale } = useI18n();
  const [type, setType] = useState("");
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  return (
    <Box>
      <Box sx={{ display: "flex", gap: 2, flexWrap: "wrap", mb: 2 }}>
        <TextField size="small" label={t("live.type")} placeholder="onu.los" value={type} onChange={(event) => setType(event.target.value.trim())} />
        <TextField size="small" type="datetime-local" label={t("live.since")} value={since} onChange={(event) => setSince(event.target.value)} slotProps={{ inputLabel: { shrink: true } }} />
        <TextField size="small" type="datetime-local" label={t("live.until")} value={until} onChange={(event) => setUntil(event.target.value)} slotProps={{ inputLabel: { shrink: true } }} />
      </Box>
      <DataTable<LiveEvent & Record<string, unknown>>
        path="/events"
        query={{ type: type || undefined, since: localToIso(since), until: localToIso(until) }}
        label={t("live.history")}
        pageSize={50}
        columns={[
          { key: "time", label: t("common.time"), render: (row) => formatValue(row.time, locale) },
          { key: "type", label: t("common.type") },
          {
            key: "device_id",
            label: t("live.device"),
            render: (row) =>
              row.device_id ? (
                <Link component={RouterLink} to={`/devices/${row.device_id}`}>
                  {row.device_id}
                </Link>
              ) : (
                "—"
              ),
          },
          { key: "actor", label: t("live.actor") },
          { key: "payload", label: t("live.payload"), render: (row) => formatValue(row.payload, locale) },
        ]}
      />
    </Box>
  );
}

function LiveEvents() {
  const { t, locale } = useI18n();
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const source = new EventSource(`${API}/events/stream`);
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    const receive = (message: MessageEvent<string>) => {
      try {
        const event = JSON.parse(message.data) as LiveEvent;
        setEvents((list) => [event, ...list].slice(0, KEEP));
      } catch {
        /* a keep-alive or a message that is not an event */
      }
    };
    source.onmessage = receive;
    source.addEventListener("event", receive as EventListener);
    return () => source.close();
  }, []);
  return (
    <Box>
      <Chip data-testid="live-state" color={connected ? "success" : "warning"} label={connected ? t("live.connected") : t("live.disconnected")} sx={{ mb: 2 }} />
      {events.length === 0 ? (
        <Typography color="text.secondary">{t("live.waiting")}</Typography>
      ) : (
        <List dense aria-live="polite" data-testid="live-events">
          {events.map((event) => (
            <ListItem key={event.id} divider>
              <ListItemText
                primary={
                  <>
                    <strong>{event.type}</strong>{" "}
                    {event.device_id && (
                      <RouterLink to={`/devices/${event.device_id}`}>{event.device_id}</RouterLink>
                    )}
                  </>
                }
                secondary={`${new Date(event.time).toLocaleString(locale)} · ${JSON.stringify(event.payload)}`}
              />
            </ListItem>
          ))}
        </List>
      )}
    </Box>
  );
}
