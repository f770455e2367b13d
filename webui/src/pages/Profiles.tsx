/**
 * Provisioning > Profiles: the ACS's provisioning profiles, and an editor for one (a form for
 * what most profiles hold, the whole JSON document for the rest).
 */
import {
  Alert,
  Box,
  Button,
  Checkbox,
  FormControlLabel,
  FormGroup,
  FormHelperText,
  FormLabel,
  IconButton,
  MenuItem,
  Switch,
  Tab,
  Tabs,
  TextField,
  Typography,
} from "@mui/material";
import DeleteIcon from "@mui/icons-material/Delete";
import { useState } from "react";
import { api } from "../api";
import { DataTable } from "../components/DataTable";
import { PageTitle } from "../components/PageTitle";
import { useI18n, type MessageKey } from "../i18n";
import { useSession } from "../session";
import { FormDialog, problemText, useSubmission } from "../components/FormDialog";
import { translated, type Client } from "./DeviceActions";

export const TRIGGERS = ["0 BOOTSTRAP", "1 BOOT", "2 PERIODIC", "on_demand"];
const LISTS = ["model", "product_class", "oui", "tags", "plan"] as const;
type ListKey = (typeof LISTS)[number];
type Value = string | number | boolean;

export interface ProfileDocument {
  name: string;
  description?: string;
  enabled?: boolean;
  preconditions?: Partial<Record<ListKey, string[]>> & { firmware_prefix?: string };
  triggers: string[];
  desired: {
    parameters?: Record<string, Value>;
    objects?: unknown[];
    notifications?: Record<string, number>;
    pppoe_from_customer?: boolean;
  };
}

export interface Profile extends ProfileDocument, Record<string, unknown> {
  id: string;
  version: number;
  updated_at: string;
}

export interface ParameterRow {
  path: string;
  type: "string" | "integer" | "boolean";
  value: string;
}

export interface ProfileForm {
  name: string;
  description: string;
  enabled: boolean;
  triggers: string[];
  lists: Record<ListKey, string>;
  firmware_prefix: string;
  parameters: ParameterRow[];
  pppoe: boolean;
  /** What the form does not edit (objects, notifications), kept as it was. */
  kept: Pick<ProfileDocument["desired"], "objects" | "notifications">;
}

export const EMPTY_PROFILE: ProfileForm = {
  name: "",
  description: "",
  enabled: true,
  triggers: ["1 BOOT"],
  lists: { model: "", product_class: "", oui: "", tags: "", plan: "" },
  firmware_prefix: "",
  parameters: [{ path: "", type: "string", value: "" }],
  pppoe: false,
  kept: {},
};

/** The document's fields, without what the server adds (id, version, times). */
export function documentOf(profile: Record<string, unknown>): ProfileDocument {
  const keys = ["name", "description", "enabled", "preconditions", "triggers", "desired"];
  return Object.fromEntries(Object.entries(profile).filter(([key]) => keys.includes(key))) as unknown as ProfileDocument;
}

export function profileToForm(document: ProfileDocument): ProfileForm {
  const pre = document.preconditions ?? {};
  const desired = document.desired ?? {};
  const rows = Object.entries(desired.parameters ?? {}).map(([path, value]): ParameterRow => ({
    path,
    type: typeof value === "boolean" ? "boolean" : typeof value === "number" ? "integer" : "string",
    value: String(value),
  }));
  const kept: ProfileForm["kept"] = {};
  if (desired.objects) kept.objects = desired.objects;
  if (desired.notifications) kept.notifications = desired.notifications;
  return {
    name: document.name ?? "",
    description: document.description ?? "",
    enabled: document.enabled ?? true,
    triggers: [...(document.triggers ?? [])],
    lists: Object.fromEntries(LISTS.map((key) => [key, (pre[key] ?? []).join(", ")])) as Record<ListKey, string>,
    firmware_prefix: pre.firmware_prefix ?? "",
    parameters: rows.length ? rows : [{ path: "", type: "string", value: "" }],
    pppoe: Boolean(desired.pppoe_from_customer),
    kept,
  };
}

const PATH = /^(InternetGatewayDevice|Device)\.([^.]+\.)*[^.]+$/;

/** The profile document of a form, or its errors (field name; `parameters.N`, `values.N` for row N). */
export function formToProfile(form: ProfileForm): { document?: ProfileDocument; errors: Record<string, MessageKey> } {
  const errors: Record<string, MessageKey> = {};
  if (!form.name.trim() || form.name.length > 120) errors.name = "acs.err.name";
  if (form.triggers.length === 0) errors.triggers = "acs.err.triggers";
  const parameters: Record<string, Value> = {};
  form.parameters.forEach((row, index) => {
    if (!row.path && !row.value) return;
    const path = row.path.trim();
    const rooted = /^(InternetGatewayDevice|Device)\./.test(path);
    if (!path || /\s/.test(path) || (rooted && !PATH.test(path))) errors[`parameters.${index}`] = "acs.err.path";
    else if (path in parameters) errors[`parameters.${index}`] = "acs.err.duplicate";
    else if (row.type === "integer" && !/^-?\d+$/.test(row.value)) errors[`values.${index}`] = "acs.err.integer";
    else if (row.type === "boolean" && !["true", "false"].includes(row.value)) errors[`values.${index}`] = "acs.err.boolean";
    else parameters[path] = row.type === "integer" ? Number(row.value) : row.type === "boolean" ? row.value === "true" : row.value;
  });
  if (Object.keys(errors).length) return { errors };
  const preconditions: NonNullable<ProfileDocument["preconditions"]> = {};
  for (const key of LISTS) {
    const items = form.lists[key].split(",").map((item) => item.trim()).filter(Boolean);
    if (items.length) preconditions[key] = items;
  }
  if (form.firmware_prefix.trim()) preconditions.firmware_prefix = form.firmware_prefix.trim();
  const desired: ProfileDocument["desired"] = { ...form.kept };
  if (Object.keys(parameters).length) desired.parameters = parameters;
  if (form.pppoe) desired.pppoe_from_customer = true;
  const document: ProfileDocument = { name: form.name.trim(), enabled: form.enabled, triggers: form.triggers, desired };
  if (form.description.trim()) document.description = form.description.trim();
  if (Object.keys(preconditions).length) document.preconditions = preconditions;
  return { document, errors };
}

export function ProfileEditor({
  profile,
  onClose,
  onSaved,
  client = api,
}: {
  profile: Profile | null;
  onClose: () => void;
  onSaved: (saved: Profile) => void;
  client?: Pick<Client, "post"> & { put: typeof api.put };
}) {
  const { t } = useI18n();
  const [form, setForm] = useState<ProfileForm>(profile ? profileToForm(documentOf(profile)) : EMPTY_PROFILE);
  const [mode, setMode] = useState<"form" | "json">("form");
  const [json, setJson] = useState("");
  const { errors, setErrors, failure, setFailure, busy, send } = useSubmission();
  const checked = (key: string) => (errors[key] ? { error: true, helperText: errors[key] } : {});
  const translate = (found: Record<string, MessageKey>) => translated(found, t);

  const switchMode = (next: "form" | "json") => {
    setFailure("");
    if (next === "json") {
      const built = formToProfile(form);
      setErrors(translate(built.errors));
      if (!built.document) return;
      setJson(JSON.stringify(built.document, null, 2));
    } else {
      try {
        setForm(profileToForm(JSON.parse(json) as ProfileDocument));
      } catch (error) {
        setFailure(`${t("acs.err.json")}: ${(error as Error).message}`);
        return;
      }
    }
    setMode(next);
  };

  const submit = async () => {
    setFailure("");
    let document: ProfileDocument | undefined;
    if (mode === "json") {
      try {
        document = JSON.parse(json) as ProfileDocument;
      } catch (error) {
        setFailure(`${t("acs.err.json")}: ${(error as Error).message}`);
        return;
      }
    } else {
      const built = formToProfile(form);
      setErrors(translate(built.errors));
      document = built.document;
    }
    if (!document) return;
    const saved = document;
    await send(async () => onSaved(profile ? await client.put<Profile>(`/profiles/${profile.id}`, saved) : await client.post<Profile>("/profiles", saved)));
  };

  const setRow = (index: number, change: Partial<ParameterRow>) =>
    setForm({ ...form, parameters: form.parameters.map((row, at) => (at === index ? { ...row, ...change } : row)) });
  return (
    <FormDialog
      id="profile"
      title={profile ? `${t("acs.editProfile")}: ${profile.name} (v${profile.version})` : t("acs.newProfile")}
      submitLabel={t("common.save")}
      onSubmit={() => void submit()}
      onClose={onClose}
      failure={failure}
      busy={busy}
      maxWidth="md"
    >
          <Tabs value={mode} onChange={(_, next: "form" | "json") => switchMode(next)} aria-label={t("acs.editorMode")}>
            <Tab value="form" label={t("acs.form")} />
            <Tab value="json" label="JSON" />
          </Tabs>
          {mode === "json" ? (
            <TextField
              multiline
              minRows={14}
              label={t("acs.document")}
              value={json}
              onChange={(event) => setJson(event.target.value)}
              slotProps={{ htmlInput: { spellCheck: false, style: { fontFamily: "monospace", fontSize: 13 } } }}
            />
          ) : (
            <>
              <TextField size="small" label={t("common.name")} value={form.name} onChange={(event) => setForm({ ...form, name: event.target.value })} {...checked("name")} required />
              <TextField size="small" label={t("acs.description")} value={form.description} onChange={(event) => setForm({ ...form, description: event.target.value })} />
              <FormControlLabel control={<Switch checked={form.enabled} onChange={(event) => setForm({ ...form, enabled: event.target.checked })} />} label={t("acs.enabled")} />
              <Box component="fieldset" sx={{ border: 0, p: 0, m: 0 }}>
                <FormLabel component="legend">{t("acs.triggers")}</FormLabel>
                <FormGroup row>
                  {TRIGGERS.map((trigger) => (
                    <FormControlLabel
                      key={trigger}
                      label={trigger}
                      control={
                        <Checkbox
                          checked={form.triggers.includes(trigger)}
                          onChange={(event) =>
                            setForm({ ...form, triggers: event.target.checked ? [...form.triggers, trigger] : form.triggers.filter((one) => one !== trigger) })
                          }
                        />
                      }
                    />
                  ))}
                </FormGroup>
                {errors.triggers && <FormHelperText error>{errors.triggers}</FormHelperText>}
              </Box>
              <Typography variant="subtitle2" component="h2">
                {t("acs.preconditions")}
              </Typography>
              <Box sx={{ display: "grid", gap: 1, gridTemplateColumns: { sm: "1fr 1fr" } }}>
                {LISTS.map((key) => (
                  <TextField
                    key={key}
                    size="small"
                    label={t(`acs.pre.${key}` as MessageKey)}
                    helperText={t("acs.commaSeparated")}
                    value={form.lists[key]}
                    onChange={(event) => setForm({ ...form, lists: { ...form.lists, [key]: event.target.value } })}
                  />
                ))}
                <TextField size="small" label={t("acs.pre.firmware_prefix")} value={form.firmware_prefix} onChange={(event) => setForm({ ...form, firmware_prefix: event.target.value })} />
              </Box>
              <Typography variant="subtitle2" component="h2">
                {t("acs.desiredParameters")}
              </Typography>
              {form.parameters.map((row, index) => (
                <Box key={index} sx={{ display: "grid", gap: 1, gridTemplateColumns: "2fr 120px 1fr auto", alignItems: "start" }}>
                  <TextField size="small" label={`${t("acs.parameter")} ${index + 1}`} value={row.path} onChange={(event) => setRow(index, { path: event.target.value })} {...checked(`parameters.${index}`)} />
                  <TextField select size="small" label={t("common.type")} value={row.type} onChange={(event) => setRow(index, { type: event.target.value as ParameterRow["type"] })}>
                    <MenuItem value="string">string</MenuItem>
                    <MenuItem value="integer">integer</MenuItem>
                    <MenuItem value="boolean">boolean</MenuItem>
                  </TextField>
                  <TextField size="small" label={`${t("common.value")} ${index + 1}`} value={row.value} onChange={(event) => setRow(index, { value: event.target.value })} {...checked(`values.${index}`)} />
                  <IconButton aria-label={`${t("acs.remove")} ${index + 1}`} onClick={() => setForm({ ...form, parameters: form.parameters.filter((_, at) => at !== index) })}>
                    <DeleteIcon />
                  </IconButton>
                </Box>
              ))}
              <Box>
                <Button size="small" onClick={() => setForm({ ...form, parameters: [...form.parameters, { path: "", type: "string", value: "" }] })}>
                  {t("acs.addParameter")}
                </Button>
              </Box>
              <FormControlLabel control={<Checkbox checked={form.pppoe} onChange={(event) => setForm({ ...form, pppoe: event.target.checked })} />} label={t("acs.pppoe")} />
              {(form.kept.objects || form.kept.notifications) && <Alert severity="info">{t("acs.keptInJson")}</Alert>}
            </>
          )}
    </FormDialog>
  );
}

export default function Profiles() {
  const { t } = useI18n();
  const { can } = useSession();
  const writable = can("acs.profiles.write");
  const [editing, setEditing] = useState<Profile | "new" | null>(null);
  const [generation, setGeneration] = useState(0);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const remove = async (profile: Profile) => {
    if (!window.confirm(`${t("acs.confirmDelete")} ${profile.name}?`)) return;
    try {
      await api.delete(`/profiles/${profile.id}`);
      setMessage({ ok: true, text: `${t("acs.deleted")}: ${profile.name}` });
      setGeneration((n) => n + 1);
    } catch (error) {
      setMessage({ ok: false, text: problemText(error) });
    }
  };
  return (
    <Box>
      <PageTitle>{t("acs.profiles")}</PageTitle>
      {writable && (
        <Button variant="contained" sx={{ mb: 2 }} onClick={() => setEditing("new")}>
          {t("acs.newProfile")}
        </Button>
      )}
      {message && (
        <Alert severity={message.ok ? "success" : "error"} sx={{ mb: 2 }} data-testid="profile-message">
          {message.text}
        </Alert>
      )}
      <DataTable<Profile>
        key={generation}
        path="/profiles"
        label={t("acs.profiles")}
        columns={[
          { key: "name", label: t("common.name") },
          { key: "enabled", label: t("acs.enabled"), render: (row) => (row.enabled === false ? t("acs.no") : t("acs.yes")) },
          { key: "triggers", label: t("acs.triggers"), render: (row) => (row.triggers ?? []).join(", ") },
          { key: "parameters", label: t("acs.parameters"), render: (row) => Object.keys(row.desired?.parameters ?? {}).length },
          { key: "version", label: t("acs.version") },
          { key: "updated_at", label: t("acs.updated") },
          {
            key: "actions",
            label: t("acs.actions"),
            render: (row) =>
              writable ? (
                <Box sx={{ display: "flex", gap: 1 }}>
                  <Button size="small" onClick={() => setEditing(row)} aria-label={`${t("dev.edit")} ${row.name}`}>
                    {t("dev.edit")}
                  </Button>
                  <Button size="small" color="error" onClick={() => void remove(row)} aria-label={`${t("acs.delete")} ${row.name}`}>
                    {t("acs.delete")}
                  </Button>
                </Box>
              ) : null,
          },
        ]}
      />
      {editing && (
        <ProfileEditor
          profile={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setMessage({ ok: true, text: `${t("acs.saved")}: ${saved.name} (v${saved.version})` });
            setGeneration((n) => n + 1);
          }}
        />
      )}
    </Box>
  );
}
