/** OLT > PON > splitter > ONU > CPE, coloured by status. */
import { Box, MenuItem, TextField } from "@mui/material";
import { useState } from "react";
import type { Page } from "../api";
import { PageTitle } from "../components/PageTitle";
import { StateView } from "../components/StateView";
import { useGet } from "../hooks";
import { useI18n } from "../i18n";
import { Tree, type TreeNode } from "../panels/kinds";

export default function Topology() {
  const { t } = useI18n();
  const olts = useGet<Page<{ id: string; name: string }>>("/devices", { kind: "olt", limit: 200 });
  const [chosen, setChosen] = useState("");
  const root = chosen || olts.data?.items[0]?.id || "";
  const tree = useGet<{ root: TreeNode }>(root ? `/topology/${root}` : null, { depth: 6 });
  return (
    <Box>
      <PageTitle>{t("topo.title")}</PageTitle>
      <StateView loading={olts.loading && !olts.data} error={olts.error} empty={!olts.loading && !olts.data?.items.length}>
        <TextField select size="small" label="OLT" value={root} onChange={(event) => setChosen(event.target.value)} sx={{ minWidth: 260, mb: 2 }}>
          {olts.data?.items.map((olt) => (
            <MenuItem key={olt.id} value={olt.id}>
              {olt.name}
            </MenuItem>
          ))}
        </TextField>
        <StateView loading={tree.loading && !tree.data} error={tree.error}>
          {tree.data && <Tree nodes={[tree.data.root]} />}
        </StateView>
      </StateView>
    </Box>
  );
}
