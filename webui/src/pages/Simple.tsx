/** List pages that are one table: customers and jobs. */
import { Box, TextField } from "@mui/material";
import { useState } from "react";
import { DataTable, type Column } from "../components/DataTable";
import { PageTitle } from "../components/PageTitle";
import { StatusChip } from "../components/StatusChip";
import { useI18n } from "../i18n";

type Row = Record<string, unknown>;

export default function Simple({ kind }: { kind: "customers" | "jobs" }) {
  const { t } = useI18n();
  const [q, setQ] = useState("");
  const status = (row: Row) => <StatusChip status={String(row.status ?? "")} />;
  const columns: Column<Row>[] =
    kind === "customers"
      ? [
          { key: "name", label: t("common.name") },
          { key: "external_id", label: "ID" },
          { key: "status", label: t("common.status"), render: status },
          { key: "created_at", label: t("common.created") },
        ]
      : [
          { key: "type", label: t("common.type") },
          { key: "status", label: t("common.status"), render: status },
          { key: "attempts", label: t("common.attempts") },
          { key: "created_at", label: t("common.created") },
          { key: "error", label: t("common.failure") },
        ];
  return (
    <Box>
      <PageTitle>{kind === "customers" ? t("cust.title") : t("jobs.title")}</PageTitle>
      {kind === "customers" && (
        <TextField size="small" type="search" label={t("common.search")} value={q} onChange={(event) => setQ(event.target.value)} sx={{ mb: 2 }} />
      )}
      <DataTable path={`/${kind}`} query={{ q: q || undefined }} columns={columns} label={kind} />
    </Box>
  );
}
