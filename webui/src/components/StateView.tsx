/** Loading, error and empty states shared by every page and panel. */
import { Alert, Box, CircularProgress, Typography } from "@mui/material";
import type { ReactNode } from "react";
import { isMissing } from "../hooks";
import { useI18n } from "../i18n";

export function StateView({
  loading,
  error,
  empty,
  children,
}: {
  loading?: boolean;
  error?: Error;
  empty?: boolean;
  children?: ReactNode;
}) {
  const { t } = useI18n();
  if (error) {
    if (isMissing(error)) return <EmptyState text={t("common.unavailable")} />;
    return (
      <Alert severity="error">
        {t("common.error")}: {error.message}
      </Alert>
    );
  }
  if (loading && empty !== false)
    return (
      <Box sx={{ p: 2, display: "flex", gap: 1, alignItems: "center" }} role="status">
        <CircularProgress size={20} />
        <Typography variant="body2">{t("common.loading")}</Typography>
      </Box>
    );
  if (empty) return <EmptyState text={t("common.empty")} />;
  return <>{children}</>;
}

export function EmptyState({ text }: { text: string }) {
  return (
    <Box sx={{ p: 3, textAlign: "center", color: "text.secondary" }} data-testid="empty-state">
      <Typography variant="body2">{text}</Typography>
    </Box>
  );
}
