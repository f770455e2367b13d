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
