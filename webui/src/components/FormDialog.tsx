/**
 * A dialog that holds one form: its title, its fields, the server's refusal in one line, and
 * Cancel beside the submit button. `useSubmission` keeps what such a form needs while it sends:
 * busy, the field errors and the failure of a problem+json answer.
 */
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, type ButtonProps, type DialogProps } from "@mui/material";
import { useState, type FormEvent, type ReactNode } from "react";
import { ApiError } from "../api";
import { useI18n } from "../i18n";

/** Field errors of a problem+json answer, by field name (`body.ssid` -> `ssid`). */
export function problemFields(error: unknown): Record<string, string> {
  const found: Record<string, string> = {};
  if (!(error instanceof ApiError)) return found;
  const params = error.body.invalid_params;
  if (!Array.isArray(params)) return found;
  for (const entry of params as { name?: string; reason?: string }[]) {
    if (!entry.name) continue;
    const name = entry.name.replace(/^(body|query)\./, "").split(".")[0];
    found[name] = entry.reason ?? "";
  }
  return found;
}

/** A problem+json error in one line: its detail, or its title. */
export function problemText(error: unknown): string {
  if (error instanceof ApiError) return error.detail || error.title || `HTTP ${error.status}`;
  return (error as Error).message;
}

/** Busy, field errors and failure of a form that sends one request at a time. */
export function useSubmission() {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState("");
  const [busy, setBusy] = useState(false);
  /** Send: a refusal's field errors and one-line reason are kept for the form to show. */
  const send = async (request: () => Promise<void>) => {
    setFailure("");
    setBusy(true);
    try {
      await request();
    } catch (error) {
      setErrors(problemFields(error));
      setFailure(problemText(error));
    } finally {
      setBusy(false);
    }
  };
  return { errors, setErrors, failure, setFailure, busy, send };
}

interface FormDialogProps {
  /** Names the dialog's title element (`<id>-title`) and its failure (`<id>-error` test id). */
  id: string;
  title: ReactNode;
  submitLabel: ReactNode;
  onSubmit: (event: FormEvent) => void;
  onClose: () => void;
  failure?: string;
  busy?: boolean;
  /** The submit button is disabled (besides while busy). */
  disabled?: boolean;
  submitColor?: ButtonProps["color"];
  maxWidth?: DialogProps["maxWidth"];
  /** The content's minimum width on wider screens, when the dialog is not full width. */
  minWidth?: number;
  /** What the Cancel button says (it closes the dialog). */
  cancelLabel?: ReactNode;
  /** Shown below the failure (a result, say). */
  after?: ReactNode;
  children: ReactNode;
}

export function FormDialog({ id, title, submitLabel, onSubmit, onClose, failure, busy, disabled, submitColor, maxWidth, minWidth, cancelLabel, after, children }: FormDialogProps) {
  const { t } = useI18n();
  return (
    <Dialog open onClose={onClose} aria-labelledby={`${id}-title`} fullWidth={Boolean(maxWidth)} maxWidth={maxWidth}>
      <Box
        component="form"
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          onSubmit(event);
        }}
        noValidate
      >
        <DialogTitle id={`${id}-title`}>{title}</DialogTitle>
        <DialogContent sx={{ display: "grid", gap: 2, pt: "8px !important", minWidth: minWidth ? { sm: minWidth } : undefined }}>
          {children}
          {failure && (
            <Alert severity="error" data-testid={`${id}-error`}>
              {failure}
            </Alert>
          )}
          {after}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>{cancelLabel ?? t("common.cancel")}</Button>
          <Button type="submit" variant="contained" color={submitColor} disabled={busy || disabled}>
            {submitLabel}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}
