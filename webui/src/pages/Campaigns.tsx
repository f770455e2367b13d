/**
 * Provisioning > Campaigns: firmware campaigns with their progress; create one; one campaign's
 * actions (pause, resume, cancel, roll back) and its devices' states.
 */
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  LinearProgress,
  MenuItem,
  TextField,
  Typography,
} from "@mui/material";
import { useEffect, useState, type ChangeEvent } from "react";
import { Link as RouterLink, useNavigate, useParams } from "react-router-dom";
import { api, type Api } from "../api";
import { DataTable } from "../components/DataTable";
import { PageTitle } from "../components/PageTitle";
import { StateView } from "../components/StateView";
import { StatusChip } from "../components/StatusChip";
import { useGet } from "../hooks";
import { useI18n, type MessageKey } from "../i18n";
import { useSession } from "../session";
import { FormDialog, problemText, useSubmission } from "../components/FormDialog";
import { translated, type FirmwareImage } from "./DeviceActions";

export const DEVICE_STATES = ["pending", "in_progress", "succeeded", "failed", "rolling_back", "rolled_back"] as const;

export interface Campaign extends Record<string, unknown> {
  id: string;
  name: string;
  firmware: string;
  status: string;
  reason: string;
  target: Record<string, unknown>;
  counts: Record<string, number>;
  created_at: string;
}

export interface Progress {
  total: number;
  finished: number;
  percent: number;
}

/** How far a campaign is: devices that reached an end state (succeeded, failed, rolled back). */
export function progressOf(counts: Record<string, number>): Progress {
  const total = DEVICE_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
  const finished = (counts.succeeded ?? 0) + (counts.failed ?? 0) + (counts.rolled_back ?? 0);
  return { total, finished, percent: total ? Math.round((100 * finished) / total) : 0 };
}

export function ProgressBar({ campaign }: { campaign: Campaign }) {
  const { t } = useI18n();
  const progress = progressOf(campaign.counts ?? {});
  const counts = campaign.counts ?? {};
  return (
    <Box sx={{ minWidth: 180 }} data-testid={`progress-${campaign.id}`}>
      <LinearProgress
        variant="determinate"
        value={progress.percent}
        color={(counts.failed ?? 0) > 0 ? "warning" : "primary"}
        aria-label={`${t("acs.progress")} ${campaign.name}`}
      />
      <Typography variant="caption" data-testid="progress-text">
        {progress.finished}/{progress.total} ({progress.percent}%) · {counts.succeeded ?? 0} {t("acs.state.succeeded")} · {counts.failed ?? 0} {t("acs.state.failed")}
      </Typography>
    </Box>
  );
}

export interface CampaignForm {
  name: string;
  firmware: string;
  targetKind: "model" | "tag" | "devices";
  target: string;
  batch_size: string;
  concurrency: string;
  max_failures: string;
  window_start: string;
  window_end: string;
  timezone: string;
}

export const EMPTY_CAMPAIGN: CampaignForm = {
  name: "",
  firmware: "",
  targetKind: "model",
  target: "",
  batch_size: "",
  concurrency: "",
  max_failures: "",
  window_start: "",
  window_end: "",
  timezone: "",
};

const TIME = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

/** The body of `POST /campaigns`, or the fields in error (as the server checks them). */
export function campaignBody(form: CampaignForm): { body?: Record<string, unknown>; errors: Record<string, MessageKey> } {
  const errors: Record<string, MessageKey> = {};
  if (!form.name.trim() || form.name.length > 120) errors.name = "acs.err.name";
  if (!form.firmware) errors.firmware = "acs.err.image";
  let target: unknown = form.target.trim();
  if (form.targetKind === "devices") {
    const ids = form.target.split(/[\s,]+/).filter(Boolean);
    if (ids.length === 0 || ids.some((id) => id.length > 26)) errors.target = "acs.err.devices";
    target = [...new Set(ids)];
  } else if (!form.target.trim() || form.target.length > 64) {
    errors.target = "acs.err.target";
  }
  const body: Record<string, unknown> = { name: form.name.trim(), firmware: form.firmware, target: { [form.targetKind]: target } };
  for (const [key, low] of [["batch_size", 1], ["concurrency", 1], ["max_failures", 0]] as const) {
    if (form[key] === "") continue;
    if (!/^\d+$/.test(form[key]) || Number(form[key]) < low) errors[key] = low ? "acs.err.positive" : "acs.err.natural";
    body[key] = Number(form[key]);
  }
  if (form.window_start || form.window_end) {
    if (!TIME.test(form.window_start)) errors.window_start = "acs.err.time";
    if (!TIME.test(form.window_end)) errors.window_end = "acs.err.time";
    body.window = { start: form.window_start, end: form.window_end, ...(form.timezone ? { timezone: form.timezone } : {}) };
  }
  return Object.keys(errors).length ? { errors } : { body, errors };
}

export function CampaignDialog({
  onClose,
  onCreated,
  client = api,
}: {
  onClose: () => void;
  onCreated: (campaign: Campaign) => void;
  client?: Pick<Api, "get" | "post">;
}) {
  const { t } = useI18n();
  const [form, setForm] = useState<CampaignForm>(EMPTY_CAMPAIGN);
  const [images, setImages] = useState<FirmwareImage[]>([]);
  const { errors, setErrors, failure, setFailure, busy, send } = useSubmission();
  useEffect(() => {
    client
      .get<{ items: FirmwareImage[] }>("/firmware")
      .then((page) => setImages(page.items))
      .catch((error) => setFailure(problemText(error)));
  }, [client]);
  const field = (key: keyof CampaignForm) => ({
    value: form[key],
    onChange: (event: ChangeEvent<HTMLInputElement>) => setForm({ ...form, [key]: event.target.value }),
    error: Boolean(errors[key]),
    helperText: errors[key],
    size: "small" as const,
  });
  const submit = async () => {
    const checked = campaignBody(form);
    setErrors(translated(checked.errors, t));
    const body = checked.body;
    if (body) await send(async () => onCreated(await client.post<Campaign>("/campaigns", body)));
  };
  return (
    <FormDialog id="campaign" title={t("acs.newCampaign")} submitLabel={t("acs.start")} onSubmit={() => void submit()} onClose={onClose} failure={failure} busy={busy} maxWidth="sm">
          <TextField label={t("common.name")} required {...field("name")} autoFocus />
          <TextField select label={t("acs.image")} required {...field("firmware")} helperText={errors.firmware || (images.length ? "" : t("acs.noImages"))}>
            {images.map((image) => (
              <MenuItem key={image.id} value={image.id}>
                {image.version} — {image.filename}
                {image.product_class ? ` (${image.product_class})` : ""}
              </MenuItem>
            ))}
          </TextField>
          <Box sx={{ display: "grid", gap: 1, gridTemplateColumns: { sm: "160px 1fr" } }}>
            <TextField select size="small" label={t("acs.targetKind")} value={form.targetKind} onChange={(event) => setForm({ ...form, targetKind: event.target.value as CampaignForm["targetKind"] })}>
              <MenuItem value="model">{t("field.model")}</MenuItem>
              <MenuItem value="tag">{t("acs.tag")}</MenuItem>
              <MenuItem value="devices">{t("acs.deviceIds")}</MenuItem>
            </TextField>
            <TextField label={t("acs.target")} {...field("target")} multiline={form.targetKind === "devices"} helperText={errors.target || (form.targetKind === "devices" ? t("acs.deviceIdsHelp") : "")} />
          </Box>
          <Box sx={{ display: "grid", gap: 1, gridTemplateColumns: { sm: "1fr 1fr 1fr" } }}>
            <TextField label={t("acs.batchSize")} {...field("batch_size")} />
            <TextField label={t("acs.concurrency")} {...field("concurrency")} />
            <TextField label={t("acs.maxFailures")} {...field("max_failures")} />
          </Box>
          <Box sx={{ display: "grid", gap: 1, gridTemplateColumns: { sm: "1fr 1fr 1fr" } }}>
            <TextField label={t("acs.windowStart")} placeholder="22:00" {...field("window_start")} />
            <TextField label={t("acs.windowEnd")} placeholder="04:00" {...field("window_end")} />
            <TextField label={t("acs.timezone")} placeholder="America/Sao_Paulo" {...field("timezone")} />
          </Box>
    </FormDialog>
  );
}

export default function Campaigns() {
  const { t } = useI18n();
  const { can } = useSession();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  return (
    <Box>
      <PageTitle>{t("acs.campaigns")}</PageTitle>
      {can("acs.campaigns.write") && (
        <Button variant="contained" sx={{ mb: 2 }} onClick={() => setCreating(true)}>
          {t("acs.newCampaign")}
        </Button>
      )}
      <DataTable<Campaign>
        path="/campaigns"
        label={t("acs.campaigns")}
        refreshMs={3000}
        onRowClick={(row) => navigate(`/provisioning/campaigns/${row.id}`)}
        columns={[
          { key: "name", label: t("common.name"), render: (row) => <RouterLink to={`/provisioning/campaigns/${row.id}`}>{row.name}</RouterLink> },
          { key: "status", label: t("common.status"), render: (row) => <StatusChip status={row.status} /> },
          { key: "target", label: t("acs.target"), render: (row) => targetText(row.target) },
          { key: "progress", label: t("acs.progress"), render: (row) => <ProgressBar campaign={row} /> },
          { key: "created_at", label: t("common.created") },
        ]}
      />
      {creating && (
        <CampaignDialog
          onClose={() => setCreating(false)}
          onCreated={(campaign) => {
            setCreating(false);
            navigate(`/provisioning/campaigns/${campaign.id}`);
          }}
        />
      )}
    </Box>
  );
}

/** A campaign's target in one line: `model: HG8245`, `tag: building-7`, `devices: 3`. */
export function targetText(target: Record<string, unknown>): string {
  return Object.entries(target ?? {})
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.length : String(value)}`)
    .join(", ");
}

type Action = "pause" | "resume" | "cancel" | "rollback-failed" | "rollback-all";

/** The actions a campaign in `status` takes (as the API allows them). */
export function campaignActions(status: string, counts: Record<string, number>): Action[] {
  const actions: Action[] = [];
  if (status === "running") actions.push("pause");
  if (status === "paused") actions.push("resume");
  if (status === "running" || status === "paused") actions.push("cancel");
  if ((counts.failed ?? 0) > 0) actions.push("rollback-failed");
  if ((counts.succeeded ?? 0) + (counts.failed ?? 0) > 0) actions.push("rollback-all");
  return actions;
}

const ACTION_LABELS: Record<Action, MessageKey> = {
  pause: "acs.pause",
  resume: "acs.resume",
  cancel: "acs.abort",
  "rollback-failed": "acs.rollbackFailed",
  "rollback-all": "acs.rollbackAll",
};

/** A firmware image by its version and file name (its id until they load, or when unreadable). */
function ImageName({ id }: { id: string }) {
  const { data } = useGet<FirmwareImage>(`/firmware/${id}`);
  return <span data-testid="campaign-image">{data ? `${data.version} (${data.filename})` : id}</span>;
}

export function CampaignPage() {
  const { id = "" } = useParams();
  const { t } = useI18n();
  const { can } = useSession();
  const { data: campaign, error, loading, reload } = useGet<Campaign>(`/campaigns/${id}`, undefined, 3000);
  const [state, setState] = useState("");
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const act = async (action: Action) => {
    if (action.startsWith("rollback") && !window.confirm(`${t(ACTION_LABELS[action])}?`)) return;
    setMessage(null);
    try {
      if (action.startsWith("rollback")) {
        const answer = await api.post<Campaign & { rolling_back: number }>(`/campaigns/${id}/rollback`, { scope: action.split("-")[1] });
        setMessage({ ok: true, text: `${t(ACTION_LABELS[action])}: ${answer.rolling_back}` });
      } else {
        const answer = await api.post<Campaign>(`/campaigns/${id}/${action}`, {});
        setMessage({ ok: true, text: `${t(ACTION_LABELS[action])}: ${answer.status}` });
      }
      reload();
    } catch (reason) {
      setMessage({ ok: false, text: problemText(reason) });
    }
  };
  return (
    <StateView loading={loading && !campaign} error={error}>
      {campaign && (
        <Box>
          <PageTitle>
            {campaign.name} <StatusChip status={campaign.status} />
          </PageTitle>
          <Card variant="outlined" sx={{ mb: 2 }}>
            <CardContent sx={{ display: "grid", gap: 1.5 }}>
              <ProgressBar campaign={campaign} />
              <Box sx={{ display: "flex", gap: 2, flexWrap: "wrap" }} data-testid="campaign-counts">
                {DEVICE_STATES.map((name) => (
                  <Typography key={name} variant="body2">
                    {t(`acs.state.${name}` as MessageKey)}: <strong>{campaign.counts?.[name] ?? 0}</strong>
                  </Typography>
                ))}
              </Box>
              <Typography variant="body2" color="text.secondary">
                {t("acs.target")}: {targetText(campaign.target)} · {t("acs.image")}: <ImageName id={campaign.firmware} />
                {campaign.reason ? ` · ${campaign.reason}` : ""}
              </Typography>
              {can("acs.campaigns.write") && (
                <Box sx={{ display: "flex", gap: 1, flexWrap: "wrap" }}>
                  {campaignActions(campaign.status, campaign.counts ?? {}).map((action) => (
                    <Button key={action} variant="outlined" color={action === "cancel" || action.startsWith("rollback") ? "warning" : "primary"} onClick={() => void act(action)}>
                      {t(ACTION_LABELS[action])}
                    </Button>
                  ))}
                </Box>
              )}
              {message && (
                <Alert severity={message.ok ? "info" : "error"} data-testid="campaign-message">
                  {message.text}
                </Alert>
              )}
            </CardContent>
          </Card>
          <TextField select size="small" label={t("acs.deviceState")} value={state} onChange={(event) => setState(event.target.value)} sx={{ minWidth: 200, mb: 1 }}>
            <MenuItem value="">{t("common.all")}</MenuItem>
            {DEVICE_STATES.map((name) => (
              <MenuItem key={name} value={name}>
                {t(`acs.state.${name}` as MessageKey)}
              </MenuItem>
            ))}
          </TextField>
          <DataTable<Record<string, unknown>>
            path={`/campaigns/${id}/devices`}
            query={{ state: state || undefined }}
            rowKey="device_id"
            refreshMs={3000}
            pageSize={100}
            label={t("acs.campaignDevices")}
            columns={[
              { key: "device_id", label: t("acs.device"), render: (row) => <RouterLink to={`/devices/${String(row.device_id)}`}>{String(row.device_id)}</RouterLink> },
              { key: "batch", label: t("acs.batch") },
              { key: "state", label: t("acs.deviceState"), render: (row) => <StatusChip status={String(row.state)} /> },
              { key: "previous_version", label: t("acs.previousVersion") },
              { key: "error", label: t("common.failure") },
            ]}
          />
        </Box>
      )}
    </StateView>
  );
}
