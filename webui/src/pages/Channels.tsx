/**
 * Settings > Notification channels (list, create and edit with the channel type's JSON-Schema
 * form, test-send, deliveries) and Settings > Integrations (webhook channels, ticket mirrors,
 * channel types). Secrets are never shown: the API says only which are stored.
 */
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  MenuItem,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from "@mui/material";
import { useMemo, useState, type FormEvent } from "react";
import { api, type Page } from "../api";
import { DataTable } from "../components/DataTable";
import { PageTitle } from "../components/PageTitle";
import { fieldErrors, SchemaFields, type JsonSchema } from "../components/SchemaFields";
import { EmptyState, StateView } from "../components/StateView";
import { StatusChip } from "../components/StatusChip";
import { useGet } from "../hooks";
import { useI18n } from "../i18n";
import { hasRoute } from "../manifest";
import { useSession } from "../session";

export interface ChannelType {
  name: string;
  title: string;
  config_schema: JsonSchema;
  secret_fields: string[];
  attachments: boolean;
}

export interface Channel {
  id: string;
  name: string;
  type: string;
  config: Record<string, unknown>;
  secrets_set: string[];
  recipient: string;
  language: string;
  team: string;
  rate_limit_per_minute: number | null;
  max_attempts: number;
  enabled: boolean;
}

type Row = Record<string, unknown>;

const EMPTY: Omit<Channel, "id" | "secrets_set"> = {
  name: "",
  type: "",
  config: {},
  recipient: "",
  language: "pt-BR",
  team: "",
  rate_limit_per_minute: null,
  max_attempts: 5,
  enabled: true,
};

/** The body a channel form sends: the type only on creation; empty secrets left out (kept). */
export function channelBody(
  form: Omit<Channel, "id" | "secrets_set">,
  secretFields: string[],
  creating: boolean,
): Record<string, unknown> {
  const config = Object.fromEntries(
    Object.entries(form.config).filter(
      ([key, value]) => value !== undefined && value !== "" && !(secretFields.includes(key) && value === null),
    ),
  );
  const body: Record<string, unknown> = {
    name: form.name,
    recipient: form.recipient,
    language: form.language,
    team: form.team,
    rate_limit_per_minute: form.rate_limit_per_minute,
    max_attempts: form.max_attempts,
    enabled: form.enabled,
    config,
  };
  if (creating) body.type = form.type;
  return body;
}

function useChannelTypes() {
  const { manifest } = useSession();
  return useGet<{ items: ChannelType[] }>(hasRoute(manifest, "GET /notification-types") ? "/notification-types" : null);
}

/** Create (no `channel`) or edit a channel; the configuration fields come from its type's schema. */
export function ChannelEditor({
  open,
  channel,
  types,
  presetType,
  onClose,
  onSaved,
}: {
  open: boolean;
  channel?: Channel;
  types: ChannelType[];
  presetType?: string;
  onClose: () => void;
  onSaved: (channel: Channel) => void;
}) {
  const { t } = useI18n();
  const creating = !channel;
  const [form, setForm] = useState(() => {
    if (channel) return { ...EMPTY, ...channel, config: { ...channel.config } };
    return { ...EMPTY, type: presetType ?? types[0]?.name ?? "" };
  });
  const [error, setError] = useState<unknown>();
  const type = types.find((one) => one.name === form.type);
  const errors = fieldErrors(error);
  const set = (key: string, value: unknown) => setForm((now) => ({ ...now, [key]: value }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const body = channelBody(form, type?.secret_fields ?? [], creating);
    try {
      const saved = creating
        ? await api.post<Channel>("/notification-channels", body)
        : await api.patch<Channel>(`/notification-channels/${channel.id}`, body);
      onSaved(saved);
    } catch (reason) {
      setError(reason);
    }
  };
  const text = (key: "name" | "recipient" | "team", label: string, required = false) => (
    <TextField
      size="small"
      label={label}
      required={required}
      value={form[key]}
      error={Boolean(errors[key])}
      helperText={errors[key]}
      onChange={(event) => set(key, event.target.value)}
    />
  );
  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="sm">
      <Box component="form" onSubmit={submit} noValidate>
        <DialogTitle>{creating ? t("chan.new") : `${t("chan.edit")}: ${channel.name}`}</DialogTitle>
        <DialogContent sx={{ display: "grid", gap: 2, pt: "8px !important" }}>
          {text("name", t("common.name"), true)}
          <TextField
            select
            size="small"
            label={t("common.type")}
            value={form.type}
            disabled={!creating}
            error={Boolean(errors.type)}
            helperText={errors.type ?? type?.title}
            onChange={(event) => setForm((now) => ({ ...now, type: event.target.value, config: {} }))}
          >
            {types.map((one) => (
              <MenuItem key={one.name} value={one.name}>
                {one.name}
              </MenuItem>
            ))}
          </TextField>
          {text("recipient", t("chan.recipient"))}
          <TextField select size="small" label={t("chan.language")} value={form.language} onChange={(event) => set("language", event.target.value)}>
            <MenuItem value="pt-BR">pt-BR</MenuItem>
            <MenuItem value="en">en</MenuItem>
          </TextField>
          {text("team", t("chan.team"))}
          <TextField
            size="small"
            type="number"
            label={t("chan.rateLimit")}
            value={form.rate_limit_per_minute ?? ""}
            error={Boolean(errors.rate_limit_per_minute)}
            helperText={errors.rate_limit_per_minute}
            onChange={(event) => set("rate_limit_per_minute", event.target.value === "" ? null : Number(event.target.value))}
          />
          <TextField
            size="small"
            type="number"
            label={t("common.attempts")}
            value={form.max_attempts}
            error={Boolean(errors.max_attempts)}
            helperText={errors.max_attempts}
            onChange={(event) => set("max_attempts", Number(event.target.value))}
          />
          <FormControlLabel label={t("chan.enabled")} control={<Switch checked={form.enabled} onChange={(event) => set("enabled", event.target.checked)} />} />
          {type && (
            <Box sx={{ display: "grid", gap: 2 }} data-testid="channel-config">
              <Typography variant="subtitle2" component="h3">
                {t("chan.config")}
              </Typography>
              <SchemaFields
                schema={type.config_schema}
                values={form.config}
                onChange={(name, value) => setForm((now) => ({ ...now, config: { ...now.config, [name]: value } }))}
                errors={errors}
                prefix="config."
                secretFields={type.secret_fields}
                secretsSet={channel?.secrets_set ?? []}
                secretLabel={t("chan.secretKept")}
              />
            </Box>
          )}
          {error !== undefined && <Alert severity="error">{(error as Error).message}</Alert>}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>{t("common.cancel")}</Button>
          <Button type="submit" variant="contained">
            {t("common.save")}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}

/** Masked secrets: the names of those stored, never their values. */
export function maskedSecrets(channel: Pick<Channel, "secrets_set">): string {
  return channel.secrets_set.map((name) => `${name}: ••••••••`).join(", ");
}

export function Channels() {
  const { t } = useI18n();
  const { manifest, can } = useSession();
  const types = useChannelTypes();
  const [editing, setEditing] = useState<Channel | "new" | null>(null);
  const [version, setVersion] = useState(0);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [status, setStatus] = useState("");
  const channels = useGet<Page<Channel>>(hasRoute(manifest, "GET /notification-channels") ? "/notification-channels" : null, { limit: 200 });
  const refresh = () => {
    setVersion((n) => n + 1);
    channels.reload();
  };
  const names = useMemo(() => Object.fromEntries((channels.data?.items ?? []).map((c) => [c.id, c.name])), [channels.data]);
  const writable = can("notifications.write");
  if (!hasRoute(manifest, "GET /notification-channels"))
    return (
      <Box>
        <PageTitle>{t("set.channels")}</PageTitle>
        <EmptyState text={t("common.unavailable")} />
      </Box>
    );
  const test = async (channel: Channel) => {
    try {
      const delivery = await api.post<{ id: string; status: string }>(`/notification-channels/${channel.id}/test`, {});
      setMessage({ ok: true, text: `${t("chan.testSent")}: ${channel.name} (${delivery.status})` });
    } catch (reason) {
      setMessage({ ok: false, text: (reason as Error).message });
    }
    refresh();
  };
  const remove = async (channel: Channel) => {
    if (!window.confirm(`${t("common.delete")}: ${channel.name}?`)) return;
    await api.delete(`/notification-channels/${channel.id}`).catch((reason: Error) => setMessage({ ok: false, text: reason.message }));
    refresh();
  };
  return (
    <Box>
      <PageTitle>{t("set.channels")}</PageTitle>
      {writable && (
        <Button variant="contained" sx={{ mb: 2 }} onClick={() => setEditing("new")} disabled={!types.data}>
          {t("chan.new")}
        </Button>
      )}
      {message && (
        <Alert severity={message.ok ? "success" : "error"} sx={{ mb: 2 }} data-testid="channel-message">
          {message.text}
        </Alert>
      )}
      <DataTable<Row & Channel>
        key={`c${version}`}
        path="/notification-channels"
        label={t("set.channels")}
        pageSize={100}
        columns={[
          { key: "name", label: t("common.name") },
          { key: "type", label: t("common.type") },
          { key: "recipient", label: t("chan.recipient") },
          { key: "team", label: t("chan.team") },
          { key: "language", label: t("chan.language") },
          { key: "enabled", label: t("chan.enabled"), render: (row) => (row.enabled ? "✓" : "") },
          { key: "secrets_set", label: t("chan.secrets"), render: (row) => maskedSecrets(row) },
          {
            key: "actions",
            label: "",
            render: (row) =>
              writable && (
                <Box sx={{ display: "flex", gap: 1 }}>
                  <Button size="small" aria-label={`${t("chan.test")} ${row.name}`} onClick={() => void test(row)}>
                    {t("chan.test")}
                  </Button>
                  <Button size="small" aria-label={`${t("chan.edit")} ${row.name}`} onClick={() => setEditing(row)}>
                    {t("chan.edit")}
                  </Button>
                  <Button size="small" color="error" aria-label={`${t("common.delete")} ${row.name}`} onClick={() => void remove(row)}>
                    {t("common.delete")}
                  </Button>
                </Box>
              ),
          },
        ]}
      />
      <Box sx={{ display: "flex", alignItems: "center", gap: 2, mt: 3, mb: 1, flexWrap: "wrap" }}>
        <Typography variant="h6" component="h2">
          {t("chan.deliveries")}
        </Typography>
        <TextField select size="small" label={t("common.status")} value={status} onChange={(event) => setStatus(event.target.value)} sx={{ minWidth: 160 }}>
          <MenuItem value="">{t("common.all")}</MenuItem>
          {["queued", "retrying", "throttled", "delivered", "dead"].map((one) => (
            <MenuItem key={one} value={one}>
              {one}
            </MenuItem>
          ))}
        </TextField>
      </Box>
      <DataTable<Row>
        key={`d${version}`}
        path="/notification-deliveries"
        label={t("chan.deliveries")}
        query={{ status: status || undefined }}
        refreshMs={3000}
        columns={[
          { key: "created_at", label: t("common.created") },
          { key: "channel_id", label: t("chan.channel"), render: (row) => names[String(row.channel_id)] ?? String(row.channel_id) },
          { key: "template", label: t("chan.template") },
          { key: "recipient", label: t("chan.recipient") },
          { key: "status", label: t("common.status"), render: (row) => <StatusChip status={String(row.status)} /> },
          { key: "attempts", label: t("common.attempts") },
          { key: "last_error", label: t("common.failure") },
        ]}
      />
      {editing && types.data && (
        <ChannelEditor
          open
          channel={editing === "new" ? undefined : editing}
          types={types.data.items}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setMessage({ ok: true, text: `${t("chan.saved")}: ${saved.name}` });
            refresh();
          }}
        />
      )}
    </Box>
  );
}

/** Webhook channels, plugins that mirror tickets (`rjc_ticket_changed`), the channel types. */
export function Integrations() {
  const { t } = useI18n();
  const { manifest, can } = useSession();
  const types = useChannelTypes();
  const [creating, setCreating] = useState(false);
  const channels = useGet<Page<Channel>>(hasRoute(manifest, "GET /notification-channels") ? "/notification-channels" : null, { limit: 200 });
  const plugins = useGet<{ items: { name: string; version: string; state: string; hooks: string[] }[] }>(
    can("plugins.read") ? "/plugins" : null,
  );
  const webhooks = (channels.data?.items ?? []).filter((channel) => channel.type === "webhook");
  const mirrors = (plugins.data?.items ?? []).filter((plugin) => plugin.hooks.includes("rjc_ticket_changed"));
  const hasWebhook = (types.data?.items ?? []).some((type) => type.name === "webhook");
  return (
    <Box>
      <PageTitle>{t("set.integrations")}</PageTitle>
      <Card variant="outlined" sx={{ mb: 2 }}>
        <CardContent>
          <Typography variant="h6" component="h2">
            {t("int.webhooks")}
          </Typography>
          <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
            {t("int.webhooksHelp")}
          </Typography>
          {hasWebhook && can("notifications.write") && (
            <Button variant="outlined" size="small" sx={{ mb: 1 }} onClick={() => setCreating(true)}>
              {t("int.newWebhook")}
            </Button>
          )}
          <StateView loading={channels.loading && !channels.data} error={channels.error} empty={channels.data ? webhooks.length === 0 : undefined}>
            <Table size="small" aria-label={t("int.webhooks")}>
              <TableHead>
                <TableRow>
                  <TableCell>{t("common.name")}</TableCell>
                  <TableCell>URL</TableCell>
                  <TableCell>{t("int.signed")}</TableCell>
                  <TableCell>{t("chan.secrets")}</TableCell>
                  <TableCell>{t("chan.enabled")}</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {webhooks.map((channel) => (
                  <TableRow key={channel.id}>
                    <TableCell>{channel.name}</TableCell>
                    <TableCell>{String(channel.config.url ?? "")}</TableCell>
                    <TableCell>{channel.secrets_set.includes("secret") ? "HMAC-SHA256" : "—"}</TableCell>
                    <TableCell>{maskedSecrets(channel)}</TableCell>
                    <TableCell>{channel.enabled ? "✓" : ""}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </StateView>
        </CardContent>
      </Card>
      <Card variant="outlined" sx={{ mb: 2 }}>
        <CardContent>
          <Typography variant="h6" component="h2">
            {t("int.tickets")}
          </Typography>
          <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
            {t("int.ticketsHelp")}
          </Typography>
          <StateView loading={plugins.loading && !plugins.data} error={plugins.error} empty={plugins.data ? mirrors.length === 0 : undefined}>
            <Table size="small" aria-label={t("int.tickets")}>
              <TableBody>
                {mirrors.map((plugin) => (
                  <TableRow key={plugin.name}>
                    <TableCell>{plugin.name}</TableCell>
                    <TableCell>{plugin.version}</TableCell>
                    <TableCell>
                      <StatusChip status={plugin.state} />
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </StateView>
        </CardContent>
      </Card>
      <Card variant="outlined">
        <CardContent>
          <Typography variant="h6" component="h2">
            {t("int.types")}
          </Typography>
          <StateView loading={types.loading && !types.data} error={types.error} empty={types.data ? types.data.items.length === 0 : undefined}>
            <Table size="small" aria-label={t("int.types")}>
              <TableHead>
                <TableRow>
                  <TableCell>{t("common.type")}</TableCell>
                  <TableCell>{t("common.name")}</TableCell>
                  <TableCell>{t("chan.secrets")}</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {(types.data?.items ?? []).map((type) => (
                  <TableRow key={type.name}>
                    <TableCell>{type.name}</TableCell>
                    <TableCell>{type.title}</TableCell>
                    <TableCell>{type.secret_fields.join(", ")}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </StateView>
        </CardContent>
      </Card>
      {creating && types.data && (
        <ChannelEditor
          open
          types={types.data.items}
          presetType="webhook"
          onClose={() => setCreating(false)}
          onSaved={() => {
            setCreating(false);
            channels.reload();
          }}
        />
      )}
    </Box>
  );
}
