/** Devices: server-side search, filters (status, vendor, tag), sorting and cursor pages; bulk
 * reboot or refresh of CPEs, bulk reboot of ONUs through their OLT, and bulk tagging of any
 * device. */
import { Alert, Box, Button, MenuItem, Tab, Tabs, TextField, Typography } from "@mui/material";
import { useEffect, useState } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { DataTable } from "../components/DataTable";
import { PageTitle } from "../components/PageTitle";
import { StatusChip } from "../components/StatusChip";
import { api } from "../api";
import { useI18n, type MessageKey } from "../i18n";
import { hasRoute } from "../manifest";
import { useSession } from "../session";

const KINDS = ["", "cpe", "onu", "olt"] as const;
const STATUSES = ["", "online", "offline", "unknown"];

export interface DeviceRow extends Record<string, unknown> {
  id: string;
  kind: string;
  name: string;
  status: string;
}

/** A device's tags with `tag` added or removed (kept in order, no duplicates). */
export function withTag(tags: string[], tag: string, add: boolean): string[] {
  const rest = tags.filter((value) => value !== tag);
  return add ? [...rest, tag] : rest;
}

/** Add or remove one tag on a device: its tags read, then `PATCH /devices/{id}` with the new list. */
async function retag(id: string, tag: string, add: boolean): Promise<void> {
  const device = await api.get<{ tags?: string[] }>(`/devices/${id}`);
  const tags = device.tags ?? [];
  const next = withTag(tags, tag, add);
  if (next.length === tags.length && next.every((value, index) => value === tags[index])) return;
  await api.patch(`/devices/${id}`, { tags: next });
}

export function devicePath(row: { id: string; kind: string }): string {
  return row.kind === "olt" ? `/olts/${row.id}` : `/devices/${row.id}`;
}

export default function Inventory() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const kind = params.get("kind") ?? "";
  const status = params.get("status") ?? "";
  const q = params.get("q") ?? "";
  const [text, setText] = useState(q);
  const { manifest, can } = useSession();
  const tasks = kind === "cpe" && hasRoute(manifest, "POST /devices/{id}/tasks");
  const onuReboot = kind === "onu" && hasRoute(manifest, "POST /olts/{id}/onus/{onu_id}/reboot") && can("olts.authorize");
  const tagging = kind !== "" && can("devices.write");
  const bulk = tasks || onuReboot || tagging;
  const [tagText, setTagText] = useState("");
  const [selected, setSelected] = useState<string[]>([]);
  const [outcome, setOutcome] = useState("");
  const [version, setVersion] = useState(0);
  useEffect(() => setSelected([]), [kind, status, q]);
  const tagAll = async (add: boolean) => {
    const tag = tagText.trim();
    const results = await Promise.allSettled(selected.map((id) => retag(id, tag, add)));
    const failed = results.filter((result) => result.status === "rejected").length;
    setOutcome(`${results.length - failed} ${t(add ? "inv.tagged" : "inv.untagged")}, ${failed} ${t("inv.bulkFailed")}`);
    setSelected([]);
    setVersion((n) => n + 1);
  };
  const forEach = async (each: (id: string) => Promise<unknown>, done: MessageKey) => {
    const results = await Promise.allSettled(selected.map(each));
    const failed = results.filter((result) => result.status === "rejected").length;
    setOutcome(`${results.length - failed} ${t(done)}, ${failed} ${t("inv.bulkFailed")}`);
    setSelected([]);
  };
  const runAll = (body: Record<string, unknown>) => forEach((id) => api.post(`/devices/${id}/tasks`, body), "inv.bulkDone");
  /** An ONU reboots through its OLT (the OLT manager's route), which answers at once. */
  const rebootOnus = () =>
    forEach(async (id) => {
      const onu = await api.get<{ olt_id: string | null }>(`/devices/${id}`);
      if (!onu.olt_id) throw new Error(`ONU ${id} is under no OLT`);
      return api.post(`/olts/${onu.olt_id}/onus/${id}/reboot`);
    }, "inv.onusRebooted");
  useEffect(() => {
    const timer = setTimeout(() => update("q", text.trim()), 300);
    return () => clearTimeout(timer);
  }, [text]);
  function update(name: string, value: string) {
    setParams(
      (now) => {
        const next = new URLSearchParams(now);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  }
  const kindLabels: Record<string, string> = { "": t("inv.allKinds"), cpe: t("inv.cpes"), onu: t("inv.onus"), olt: t("inv.olts") };
  return (
    <Box>
      <PageTitle>{t("inv.title")}</PageTitle>
      <Tabs value={kind} onChange={(_, value: string) => update("kind", value)} variant="scrollable" aria-label={t("common.kind")}>
        {KINDS.map((value) => (
          <Tab key={value} value={value} label={kindLabels[value]} />
        ))}
      </Tabs>
      <Box sx={{ display: "flex", gap: 2, flexWrap: "wrap", my: 2 }}>
        <TextField
          size="small"
          type="search"
          label={t("common.search")}
          placeholder={t("inv.search")}
          value={text}
          onChange={(event) => setText(event.target.value)}
          slotProps={{ htmlInput: { "data-testid": "device-search" } }}
        />
        <TextField select size="small" label={t("common.status")} value={status} onChange={(event) => update("status", event.target.value)} sx={{ minWidth: 160 }}>
          {STATUSES.map((value) => (
            <MenuItem key={value} value={value}>
              {value || t("common.all")}
            </MenuItem>
          ))}
        </TextField>
        <TextField size="small" label={t("inv.vendor")} defaultValue={params.get("vendor") ?? ""} onBlur={(event) => update("vendor", event.target.value.trim())} />
        <TextField size="small" label={t("inv.tag")} defaultValue={params.get("tag") ?? ""} onBlur={(event) => update("tag", event.target.value.trim())} />
      </Box>
      {bulk && (
        <Box sx={{ display: "flex", gap: 1, alignItems: "center", flexWrap: "wrap", mb: 1 }}>
          <Typography variant="body2">
            {selected.length} {t("inv.selected")}
          </Typography>
          {tasks && (
            <>
              <Button size="small" variant="outlined" color="warning" disabled={!selected.length} onClick={() => void runAll({ type: "reboot" })}>
                {t("inv.bulkReboot")}
              </Button>
              <Button size="small" variant="outlined" disabled={!selected.length} onClick={() => void runAll({ type: "refresh", path: "" })}>
                {t("inv.bulkRefresh")}
              </Button>
            </>
          )}
          {onuReboot && (
            <Button size="small" variant="outlined" color="warning" disabled={!selected.length} onClick={() => void rebootOnus()}>
              {t("inv.bulkReboot")}
            </Button>
          )}
          {tagging && (
            <>
              <TextField
                size="small"
                label={t("inv.tagToApply")}
                value={tagText}
                onChange={(event) => setTagText(event.target.value)}
                slotProps={{ htmlInput: { maxLength: 64 } }}
                sx={{ width: 180 }}
              />
              <Button size="small" variant="outlined" disabled={!selected.length || !tagText.trim()} onClick={() => void tagAll(true)}>
                {t("inv.addTag")}
              </Button>
              <Button size="small" variant="outlined" disabled={!selected.length || !tagText.trim()} onClick={() => void tagAll(false)}>
                {t("inv.removeTag")}
              </Button>
            </>
          )}
          {outcome && (
            <Alert severity="info" data-testid="bulk-result" sx={{ py: 0 }}>
              {outcome}
            </Alert>
          )}
        </Box>
      )}
      <DataTable<DeviceRow>
        key={version}
        selected={bulk ? selected : undefined}
        onSelect={bulk ? setSelected : undefined}
        path="/devices"
        label={t("inv.title")}
        query={{ kind: kind || undefined, status: status || undefined, q: q || undefined, vendor: params.get("vendor") || undefined, tag: params.get("tag") || undefined }}
        onRowClick={(row) => navigate(devicePath(row))}
        serverSort={["name", "vendor", "model", "serial", "status"]}
        columns={[
          { key: "name", label: t("common.name"), render: (row) => String(row.name || row.serial || row.id) },
          { key: "kind", label: t("common.kind") },
          { key: "vendor", label: t("inv.vendor") },
          { key: "model", label: t("inv.model") },
          { key: "serial", label: t("inv.serial") },
          { key: "status", label: t("common.status"), render: (row) => <StatusChip status={row.status} /> },
          { key: "tags", label: t("inv.tags"), render: (row) => (Array.isArray(row.tags) ? row.tags.join(", ") : "") },
          { key: "last_seen", label: t("inv.lastSeen") },
        ]}
      />
    </Box>
  );
}
