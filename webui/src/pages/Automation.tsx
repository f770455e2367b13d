/**
 * Automation > Alert rules (a rule document edited through a form built from the server's
 * JSON Schema, or as JSON; the server validates it and its field errors show under the
 * fields) and Automation > Silences (maintenance windows: create, expire).
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

export type RuleDocument = Record<string, unknown> & {
  name?: string;
  condition?: Record<string, unknown>;
  scope?: Record<string, unknown>;
};
type Rule = RuleDocument & { id: string; enabled: boolean };
type Row = Record<string, unknown>;

export interface RuleSchema extends JsonSchema {
  properties: Record<string, JsonSchema & { allOf?: { if: JsonSchema; then: JsonSchema }[] }>;
}

/** The fields the rule schema gives a condition of `type` (its `if`/`then` branch). */
export function conditionSchema(schema: RuleSchema, type: string): JsonSchema {
  const condition = schema.properties.condition;
  const branch = condition?.allOf?.find((one) => {
    return one.if.properties?.type?.const === type;
  });
  return branch?.then ?? { properties: {} };
}

/** The condition types the schema allows. */
export function conditionTypes(schema: RuleSchema): string[] {
  return (schema.properties.condition?.properties?.type?.enum as string[] | undefined) ?? [];
}

/** A rule as the API renders it, back into the document the schema accepts. */
export function ruleDocument(rule: Row): RuleDocument {
  const { id: _id, created_at: _created, updated_at: _updated, ...document } = rule;
  return document as RuleDocument;
}

/** A short human reading of a condition: `cpe.pppoe_error >= 1`, `event onu.los`. */
export function describeCondition(condition: Record<string, unknown> | undefined): string {
  if (!condition) return "";
  const type = String(condition.type);
  if (type === "threshold" || type === "rate") {
    const hold = condition.for_seconds ? ` (${String(condition.for_seconds)} s)` : "";
    return `${type}: ${String(condition.metric)} ${String(condition.op)} ${String(condition.value)}${hold}`;
  }
  if (type === "event") return `event: ${String(condition.event)}${condition.count ? ` ×${String(condition.count)}` : ""}`;
  if (type === "absence") return `absence: ${String(condition.metric ?? "last_seen")} ${String(condition.for_seconds)} s`;
  if (type === "anomaly") return `anomaly ≥ ${String(condition.value)}`;
  if (type === "compound") return `${String(condition.mode)} of ${(condition.conditions as unknown[] | undefined)?.length ?? 0}`;
  return type;
}

const NEW_RULE: RuleDocument = {
  name: "",
  severity: "major",
  enabled: true,
  scope: { kind: "all" },
  condition: { type: "threshold", metric: "", op: ">", value: 0 },
  channels: [],
};

export function RuleEditor({
  schema,
  rule,
  channels,
  onClose,
  onSaved,
}: {
  schema: RuleSchema;
  rule?: Rule;
  channels: { id: string; name: string }[];
  onClose: () => void;
  onSaved: (rule: Rule) => void;
}) {
  const { t } = useI18n();
  const [document, setDocument] = useState<RuleDocument>(() => (rule ? ruleDocument(rule) : structuredClone(NEW_RULE)));
  const [asJson, setAsJson] = useState(false);
  const [jsonText, setJsonText] = useState("");
  const [jsonError, setJsonError] = useState("");
  const [error, setError] = useState<unknown>();
  const errors = fieldErrors(error);
  const condition = document.condition ?? { type: "threshold" };
  const scope = document.scope ?? { kind: "all" };
  const scopeSchema = schema.properties.scope ?? {};
  const set = (key: string, value: unknown) =>
    setDocument((now) => {
      const next = { ...now };
      if (value === undefined) delete next[key];
      else next[key] = value;
      return next;
    });
  const setIn = (parent: "scope" | "condition", key: string, value: unknown) =>
    setDocument((now) => {
      const inner = { ...((now[parent] as Record<string, unknown> | undefined) ?? {}) };
      if (value === undefined) delete inner[key];
      else inner[key] = value;
      return { ...now, [parent]: inner };
    });
  const toggleJson = () => {
    if (asJson) {
      try {
        setDocument(JSON.parse(jsonText) as RuleDocument);
        setJsonError("");
        setAsJson(false);
      } catch (reason) {
        setJsonError((reason as Error).message);
      }
    } else {
      setJsonText(JSON.stringify(document, null, 2));
      setAsJson(true);
    }
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    let body = document;
    if (asJson) {
      try {
        body = JSON.parse(jsonText) as RuleDocument;
      } catch (reason) {
        setJsonError((reason as Error).message);
        return;
      }
    }
    try {
      const saved = rule ? await api.put<Rule>(`/alert-rules/${rule.id}`, body) : await api.post<Rule>("/alert-rules", body);
      onSaved(saved);
    } catch (reason) {
      setError(reason);
    }
  };
  const unplaced = Object.entries(errors).filter(
    ([path]) => !/^(name|description|severity|dedup_key|channels(\.\d+)?|scope\.\w+|condition\.\w+)$/.test(path),
  );
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="md">
      <Box component="form" onSubmit={submit} noValidate>
        <DialogTitle>{rule ? `${t("rules.edit")}: ${rule.name}` : t("rules.new")}</DialogTitle>
        <DialogContent sx={{ display: "grid", gap: 2, pt: "8px !important" }}>
          <Box>
            <Button size="small" onClick={toggleJson}>
              {asJson ? t("rules.asForm") : t("rules.asJson")}
            </Button>
          </Box>
          {asJson ? (
            <TextField
              multiline
              minRows={12}
              label={t("rules.document")}
              value={jsonText}
              error={Boolean(jsonError)}
              helperText={jsonError || undefined}
              onChange={(event) => setJsonText(event.target.value)}
              slotProps={{ htmlInput: { style: { fontFamily: "monospace" } } }}
            />
          ) : (
            <>
              <SchemaFields
                schema={{
                  properties: {
                    name: { ...schema.properties.name, title: t("common.name") },
                    description: { ...schema.properties.description, title: t("rules.description") },
                    severity: { ...schema.properties.severity, title: t("common.severity") },
                  },
                  required: ["name"],
                }}
                values={document}
                onChange={set}
                errors={errors}
              />
              <FormControlLabel label={t("rules.enabled")} control={<Switch checked={document.enabled !== false} onChange={(event) => set("enabled", event.target.checked)} />} />
              <Typography variant="subtitle2" component="h3">
                {t("rules.scope")}
              </Typography>
              <SchemaFields schema={scopeSchema} values={scope} onChange={(key, value) => setIn("scope", key, value)} errors={errors} prefix="scope." />
              <Typography variant="subtitle2" component="h3">
                {t("rules.condition")}
              </Typography>
              <TextField
                select
                size="small"
                label={t("rules.conditionType")}
                value={String(condition.type ?? "")}
                error={Boolean(errors["condition.type"])}
                helperText={errors["condition.type"]}
                onChange={(event) => set("condition", { type: event.target.value })}
              >
                {conditionTypes(schema).map((type) => (
                  <MenuItem key={type} value={type}>
                    {type}
                  </MenuItem>
                ))}
              </TextField>
              <SchemaFields
                schema={conditionSchema(schema, String(condition.type))}
                values={condition}
                onChange={(key, value) => setIn("condition", key, value)}
                errors={errors}
                prefix="condition."
                skip={["type"]}
              />
              <SchemaFields schema={{ properties: { dedup_key: schema.properties.dedup_key } }} values={document} onChange={set} errors={errors} />
              {channels.length > 0 && (
                <TextField
                  select
                  size="small"
                  label={t("rules.channels")}
                  value={(document.channels as string[] | undefined) ?? []}
                  error={Boolean(errors.channels ?? errors["channels.0"])}
                  helperText={errors.channels ?? errors["channels.0"]}
                  slotProps={{ select: { multiple: true } }}
                  onChange={(event) => set("channels", event.target.value as unknown as string[])}
                >
                  {channels.map((channel) => (
                    <MenuItem key={channel.id} value={channel.id}>
                      {channel.name}
                    </MenuItem>
                  ))}
                </TextField>
              )}
            </>
          )}
          {error !== undefined && (
            <Alert severity="error" data-testid="rule-error">
              {(error as Error).message}
              {unplaced.map(([path, reason]) => (
                <div key={path}>
                  {path}: {reason}
                </div>
              ))}
            </Alert>
          )}
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

export function Rules() {
  const { t } = useI18n();
  const { manifest, can } = useSession();
  const available = hasRoute(manifest, "GET /alert-rules");
  const schema = useGet<RuleSchema>(available && hasRoute(manifest, "GET /alert-rules/schema") ? "/alert-rules/schema" : null);
  const channels = useGet<Page<{ id: string; name: string }>>(hasRoute(manifest, "GET /notification-channels") && can("notifications.read") ? "/notification-channels" : null, { limit: 200 });
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
  const [version, setVersion] = useState(0);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const writable = can("alerts.rules");
  if (!available)
    return (
      <Box>
        <PageTitle>{t("rules.title")}</PageTitle>
        <EmptyState text={t("common.unavailable")} />
      </Box>
    );
  const toggle = async (rule: Rule) => {
    try {
      await api.put(`/alert-rules/${rule.id}`, { ...ruleDocument(rule), enabled: !rule.enabled });
    } catch (reason) {
      setMessage({ ok: false, text: (reason as Error).message });
    }
    setVersion((n) => n + 1);
  };
  const remove = async (rule: Rule) => {
    if (!window.confirm(`${t("common.delete")}: ${rule.name}?`)) return;
    try {
      await api.delete(`/alert-rules/${rule.id}`);
      setMessage({ ok: true, text: `${t("rules.deleted")}: ${rule.name}` });
    } catch (reason) {
      setMessage({ ok: false, text: (reason as Error).message });
    }
    setVersion((n) => n + 1);
  };
  return (
    <Box>
      <PageTitle>{t("rules.title")}</PageTitle>
      {writable && (
        <Button variant="contained" sx={{ mb: 2 }} disabled={!schema.data} onClick={() => setEditing("new")}>
          {t("rules.new")}
        </Button>
      )}
      {message && (
        <Alert severity={message.ok ? "success" : "error"} sx={{ mb: 2 }} data-testid="rule-message">
          {message.text}
        </Alert>
      )}
      <DataTable<Row & Rule>
        key={version}
        path="/alert-rules"
        label={t("rules.title")}
        pageSize={100}
        columns={[
          { key: "name", label: t("common.name") },
          { key: "severity", label: t("common.severity"), render: (row) => <StatusChip status={String(row.severity ?? "major")} /> },
          { key: "condition", label: t("rules.condition"), render: (row) => describeCondition(row.condition) },
          {
            key: "scope",
            label: t("rules.scope"),
            render: (row) => {
              const scope = (row.scope as Record<string, string> | undefined) ?? { kind: "all" };
              return [scope.kind, scope.value, scope.device_kind].filter(Boolean).join(" · ");
            },
          },
          {
            key: "enabled",
            label: t("rules.enabled"),
            render: (row) => (
              <Switch
                size="small"
                checked={row.enabled}
                disabled={!writable}
                onChange={() => void toggle(row)}
                slotProps={{ input: { "aria-label": `${t("rules.enabled")} ${row.name}` } }}
              />
            ),
          },
          {
            key: "actions",
            label: "",
            render: (row) =>
              writable && (
                <Box sx={{ display: "flex", gap: 1 }}>
                  <Button size="small" aria-label={`${t("rules.edit")} ${row.name}`} disabled={!schema.data} onClick={() => setEditing(row)}>
                    {t("rules.edit")}
                  </Button>
                  <Button size="small" color="error" aria-label={`${t("common.delete")} ${row.name}`} onClick={() => void remove(row)}>
                    {t("common.delete")}
                  </Button>
                </Box>
              ),
          },
        ]}
      />
      {editing && schema.data && (
        <RuleEditor
          schema={schema.data}
          rule={editing === "new" ? undefined : editing}
          channels={channels.data?.items ?? []}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setMessage({ ok: true, text: `${t("rules.saved")}: ${saved.name}` });
            setVersion((n) => n + 1);
          }}
        />
      )}
    </Box>
  );
}

/** `datetime-local` text for a date (the browser's time zone). */
export function localInput(date: Date): string {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}

/** Whether a silence is active, scheduled or over at `now`. */
export function silenceState(silence: { starts_at: string; ends_at: string }, now = new Date()): "active" | "scheduled" | "expired" {
  if (new Date(silence.ends_at) <= now) return "expired";
  return new Date(silence.starts_at) <= now ? "active" : "scheduled";
}

export function Silences() {
  const { t } = useI18n();
  const { manifest, can } = useSession();
  const available = hasRoute(manifest, "GET /silences");
  const rules = useGet<Page<{ id: string; name: string }>>(available ? "/alert-rules" : null, { limit: 200 });
  const [form, setForm] = useState(() => {
    const now = new Date();
    return { reason: "", starts_at: localInput(now), ends_at: localInput(new Date(now.getTime() + 2 * 3600 * 1000)), kind: "all", value: "", rule_id: "" };
  });
  const [error, setError] = useState<unknown>();
  const [version, setVersion] = useState(0);
  const [activeOnly, setActiveOnly] = useState(false);
  const errors = fieldErrors(error);
  const ruleNames = useMemo(() => Object.fromEntries((rules.data?.items ?? []).map((r) => [r.id, r.name])), [rules.data]);
  const writable = can("alerts.silence");
  if (!available)
    return (
      <Box>
        <PageTitle>{t("sil.title")}</PageTitle>
        <EmptyState text={t("common.unavailable")} />
      </Box>
    );
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const body: Record<string, unknown> = {
      reason: form.reason,
      starts_at: new Date(form.starts_at).toISOString(),
      ends_at: new Date(form.ends_at).toISOString(),
      scope: form.kind === "all" ? { kind: "all" } : { kind: form.kind, value: form.value },
      rule_id: form.rule_id || null,
    };
    try {
      await api.post("/silences", body);
      setForm({ ...form, reason: "" });
      setVersion((n) => n + 1);
    } catch (reason) {
      setError(reason);
    }
  };
  const expire = async (id: string) => {
    await api.delete(`/silences/${id}`).catch((reason: unknown) => setError(reason));
    setVersion((n) => n + 1);
  };
  const field = (key: keyof typeof form, label: string, extra: Record<string, unknown> = {}) => (
    <TextField
      size="small"
      label={label}
      value={form[key]}
      error={Boolean(errors[key] ?? errors[`scope.${key}`])}
      helperText={errors[key] ?? errors[`scope.${key}`]}
      onChange={(event) => setForm({ ...form, [key]: event.target.value })}
      {...extra}
    />
  );
  return (
    <Box>
      <PageTitle>{t("sil.title")}</PageTitle>
      {writable && (
        <Card variant="outlined" sx={{ mb: 2 }}>
          <CardContent component="form" onSubmit={create} sx={{ display: "flex", gap: 2, flexWrap: "wrap", alignItems: "flex-start" }}>
            {field("reason", t("sil.reason"), { sx: { minWidth: 240 } })}
            {field("starts_at", t("sil.starts"), { type: "datetime-local", required: true, slotProps: { inputLabel: { shrink: true } } })}
            {field("ends_at", t("sil.ends"), { type: "datetime-local", required: true, slotProps: { inputLabel: { shrink: true } } })}
            <TextField select size="small" label={t("rules.scope")} value={form.kind} onChange={(event) => setForm({ ...form, kind: event.target.value })} sx={{ minWidth: 120 }}>
              {["all", "olt", "pon", "region", "model", "tag"].map((kind) => (
                <MenuItem key={kind} value={kind}>
                  {kind}
                </MenuItem>
              ))}
            </TextField>
            {form.kind !== "all" && field("value", t("common.value"), { required: true })}
            <TextField
              select
              size="small"
              label={t("sil.rule")}
              value={form.rule_id}
              onChange={(event) => setForm({ ...form, rule_id: event.target.value })}
              slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
              sx={{ minWidth: 180 }}
            >
              <MenuItem value="">{t("common.all")}</MenuItem>
              {(rules.data?.items ?? []).map((rule) => (
                <MenuItem key={rule.id} value={rule.id}>
                  {rule.name}
                </MenuItem>
              ))}
            </TextField>
            <Button type="submit" variant="contained">
              {t("sil.new")}
            </Button>
            {error !== undefined && (
              <Alert severity="error" sx={{ width: "100%" }}>
                {(error as Error).message}
              </Alert>
            )}
          </CardContent>
        </Card>
      )}
      <FormControlLabel label={t("sil.activeOnly")} control={<Switch checked={activeOnly} onChange={(event) => setActiveOnly(event.target.checked)} />} />
      <StateView loading={rules.loading && !rules.data}>
        <DataTable<Row & { id: string; starts_at: string; ends_at: string }>
          key={version}
          path="/silences"
          label={t("sil.title")}
          query={{ active: activeOnly ? "true" : undefined }}
          columns={[
            { key: "reason", label: t("sil.reason") },
            { key: "starts_at", label: t("sil.starts") },
            { key: "ends_at", label: t("sil.ends") },
            {
              key: "scope",
              label: t("rules.scope"),
              render: (row) => {
                const scope = (row.scope as Record<string, string> | undefined) ?? { kind: "all" };
                return [scope.kind, scope.value].filter(Boolean).join(" · ");
              },
            },
            { key: "rule_id", label: t("sil.rule"), render: (row) => (row.rule_id ? (ruleNames[String(row.rule_id)] ?? String(row.rule_id)) : t("common.all")) },
            { key: "created_by", label: t("set.actor") },
            { key: "state", label: t("common.status"), render: (row) => <StatusChip status={silenceState(row)} /> },
            {
              key: "actions",
              label: "",
              render: (row) =>
                writable &&
                silenceState(row) !== "expired" && (
                  <Button size="small" color="warning" aria-label={`${t("sil.expire")} ${String(row.reason || row.id)}`} onClick={() => void expire(row.id)}>
                    {t("sil.expire")}
                  </Button>
                ),
            },
          ]}
        />
      </StateView>
    </Box>
  );
}
