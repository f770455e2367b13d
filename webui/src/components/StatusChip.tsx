import { Chip } from "@mui/material";

const COLOURS: Record<string, "success" | "error" | "warning" | "default" | "info"> = {
  online: "success",
  done: "success",
  offline: "error",
  failed: "error",
  los: "error",
  dying_gasp: "warning",
  degraded: "warning",
  pending: "info",
  running: "info",
  queued: "info",
  delivered: "success",
  dead: "error",
  retrying: "warning",
  throttled: "warning",
  active: "warning",
  scheduled: "info",
  critical: "error",
  major: "error",
  minor: "warning",
  warning: "warning",
  fault: "error",
  succeeded: "success",
  completed: "success",
  in_progress: "info",
  paused: "warning",
  rolling_back: "warning",
};

export function StatusChip({ status }: { status: string | null | undefined }) {
  const value = status ?? "unknown";
  return <Chip size="small" label={value} color={COLOURS[value] ?? "default"} variant="outlined" />;
}
