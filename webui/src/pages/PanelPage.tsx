/** A page a plugin declares: its menu item's path is the slot of its panels. */
import { Grid } from "@mui/material";
import { EmptyState } from "../components/StateView";
import { useI18n } from "../i18n";
import { panelsFor } from "../manifest";
import { PanelCard } from "../panels/PanelHost";
import { useSession } from "../session";

export default function PanelPage({ slot }: { slot: string }) {
  const { manifest } = useSession();
  const { t } = useI18n();
  const panels = manifest ? panelsFor(manifest, slot) : [];
  if (panels.length === 0) return <EmptyState text={t("common.empty")} />;
  return (
    <Grid container spacing={2}>
      {panels.map((panel) => (
        <Grid key={panel.id} size={{ xs: 12, lg: (panel.options.width as number) ?? 12 }}>
          <PanelCard panel={panel} />
        </Grid>
      ))}
    </Grid>
  );
}
