/** Live device events over Server-Sent Events (the browser resumes with Last-Event-ID). */
import { Box, Chip, List, ListItem, ListItemText, Typography } from "@mui/material";
import { useEffect, useState } from "react";
import { Link as RouterLink } from "react-router-dom";
import { API } from "../api";
import { PageTitle } from "../components/PageTitle";
import { useI18n } from "../i18n";

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
      <PageTitle>{t("live.title")}</PageTitle>
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
