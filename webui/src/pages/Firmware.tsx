/** Provisioning > Firmware images: the ACS's firmware store; upload an image, delete one. */
import { Alert, Box, Button, TextField, Typography } from "@mui/material";
import { useState, type ChangeEvent } from "react";
import { api, API, ApiError, csrfToken, queryString } from "../api";
import { DataTable } from "../components/DataTable";
import { PageTitle } from "../components/PageTitle";
import { useI18n, type MessageKey } from "../i18n";
import { useSession } from "../session";
import { FormDialog, problemText, useSubmission } from "../components/FormDialog";
import { translated, type FirmwareImage } from "./DeviceActions";

export interface UploadForm {
  version: string;
  product_class: string;
  oui: string;
  filename: string;
  sha256: string;
}

const FILENAME = /^[A-Za-z0-9._-]{1,255}$/;

/** A file's name as the store takes it: other characters become `_`. */
export function storeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 255);
}

/** The upload's query, or the fields in error (as `POST /firmware` checks them). */
export function uploadQuery(form: UploadForm, file: File | null): { query?: Record<string, string>; errors: Record<string, MessageKey> } {
  const errors: Record<string, MessageKey> = {};
  if (!file) errors.file = "acs.err.file";
  if (!form.version.trim() || form.version.length > 128) errors.version = "acs.err.version";
  if (form.oui && !/^[0-9A-Fa-f]{6}$/.test(form.oui)) errors.oui = "acs.err.oui";
  if (form.product_class.length > 64) errors.product_class = "acs.err.productClass";
  if (!FILENAME.test(form.filename)) errors.filename = "acs.err.filename";
  if (!/^[0-9a-fA-F]{64}$/.test(form.sha256)) errors.sha256 = "acs.err.sha256";
  if (Object.keys(errors).length) return { errors };
  const query: Record<string, string> = { version: form.version.trim(), sha256: form.sha256.toLowerCase(), filename: form.filename };
  if (form.product_class) query.product_class = form.product_class;
  if (form.oui) query.oui = form.oui.toUpperCase();
  return { query, errors };
}

/** The SHA-256 of a file in hex, where the browser can compute it (a secure context). */
export async function sha256Of(file: Blob): Promise<string> {
  if (!globalThis.crypto?.subtle) return "";
  const digest = await globalThis.crypto.subtle.digest("SHA-256", new Uint8Array(await file.arrayBuffer()));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** `POST /firmware`: the raw file as the body, its metadata in the query. */
async function upload(file: File, query: Record<string, string>): Promise<FirmwareImage> {
  const response = await fetch(`${API}/firmware${queryString(query)}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/octet-stream", "X-CSRF-Token": csrfToken() },
    body: file,
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (!response.ok) throw new ApiError(response.status, data.title ?? response.statusText, data.detail ?? "", data);
  return data as FirmwareImage;
}

const EMPTY: UploadForm = { version: "", product_class: "", oui: "", filename: "", sha256: "" };

function UploadDialog({ onClose, onSaved }: { onClose: () => void; onSaved: (image: FirmwareImage) => void }) {
  const { t, locale } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [form, setForm] = useState<UploadForm>(EMPTY);
  const { errors, setErrors, failure, busy, send } = useSubmission();
  const field = (key: keyof UploadForm) => ({
    value: form[key],
    onChange: (event: ChangeEvent<HTMLInputElement>) => setForm({ ...form, [key]: event.target.value }),
    error: Boolean(errors[key]),
    helperText: errors[key],
    size: "small" as const,
  });
  const choose = async (event: ChangeEvent<HTMLInputElement>) => {
    const chosen = event.target.files?.[0] ?? null;
    setFile(chosen);
    if (!chosen) return;
    const digest = await sha256Of(chosen);
    setForm((now) => ({ ...now, filename: now.filename || storeName(chosen.name), sha256: digest || now.sha256 }));
  };
  const submit = async () => {
    const checked = uploadQuery(form, file);
    setErrors(translated(checked.errors, t));
    const query = checked.query;
    if (query && file) await send(async () => onSaved(await upload(file, query)));
  };
  return (
    <FormDialog id="upload" title={t("acs.uploadImage")} submitLabel={t("acs.upload")} onSubmit={() => void submit()} onClose={onClose} failure={failure} busy={busy} minWidth={440}>
          <Box>
            <Button variant="outlined" component="label">
              {t("acs.chooseFile")}
              <input hidden type="file" data-testid="firmware-file" onChange={(event) => void choose(event)} />
            </Button>
            <Typography variant="body2" component="span" sx={{ ml: 1 }}>
              {file ? `${file.name} (${file.size.toLocaleString(locale)} B)` : t("acs.noFile")}
            </Typography>
            {errors.file && (
              <Typography variant="caption" color="error" component="p">
                {errors.file}
              </Typography>
            )}
          </Box>
          <TextField label={t("acs.version")} required {...field("version")} />
          <TextField label={t("acs.pre.product_class")} {...field("product_class")} helperText={errors.product_class || t("acs.anyDevice")} />
          <TextField label="OUI" {...field("oui")} helperText={errors.oui || t("acs.anyDevice")} />
          <TextField label={t("acs.filename")} {...field("filename")} />
          <TextField label="SHA-256" {...field("sha256")} helperText={errors.sha256 || t("acs.sha256Help")} />
    </FormDialog>
  );
}

export default function Firmware() {
  const { t, locale } = useI18n();
  const { can } = useSession();
  const writable = can("acs.firmware.write");
  const [uploading, setUploading] = useState(false);
  const [generation, setGeneration] = useState(0);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const remove = async (image: FirmwareImage) => {
    if (!window.confirm(`${t("acs.confirmDelete")} ${image.filename} ${image.version}?`)) return;
    try {
      await api.delete(`/firmware/${image.id}`);
      setMessage({ ok: true, text: `${t("acs.deleted")}: ${image.filename}` });
      setGeneration((n) => n + 1);
    } catch (error) {
      setMessage({ ok: false, text: problemText(error) });
    }
  };
  return (
    <Box>
      <PageTitle>{t("acs.firmwareImages")}</PageTitle>
      {writable && (
        <Button variant="contained" sx={{ mb: 2 }} onClick={() => setUploading(true)}>
          {t("acs.uploadImage")}
        </Button>
      )}
      {message && (
        <Alert severity={message.ok ? "success" : "error"} sx={{ mb: 2 }} data-testid="firmware-message">
          {message.text}
        </Alert>
      )}
      <DataTable<FirmwareImage & Record<string, unknown>>
        key={generation}
        path="/firmware"
        label={t("acs.firmwareImages")}
        columns={[
          { key: "filename", label: t("acs.filename") },
          { key: "version", label: t("acs.version") },
          { key: "product_class", label: t("acs.pre.product_class"), render: (row) => row.product_class || "*" },
          { key: "oui", label: "OUI", render: (row) => row.oui || "*" },
          { key: "size", label: t("acs.size"), render: (row) => `${Number(row.size).toLocaleString(locale)} B` },
          { key: "sha256", label: "SHA-256", render: (row) => <span title={String(row.sha256)}>{String(row.sha256).slice(0, 12)}…</span> },
          { key: "created_at", label: t("common.created") },
          {
            key: "actions",
            label: t("acs.actions"),
            render: (row) =>
              writable ? (
                <Button size="small" color="error" onClick={() => void remove(row)} aria-label={`${t("acs.delete")} ${row.filename}`}>
                  {t("acs.delete")}
                </Button>
              ) : null,
          },
        ]}
      />
      {uploading && (
        <UploadDialog
          onClose={() => setUploading(false)}
          onSaved={(image) => {
            setUploading(false);
            setMessage({ ok: true, text: `${t("acs.uploaded")}: ${image.filename} ${image.version}` });
            setGeneration((n) => n + 1);
          }}
        />
      )}
    </Box>
  );
}
