import { Typography } from "@mui/material";
import type { ReactNode } from "react";

/** A page's heading. */
export function PageTitle({ children }: { children: ReactNode }) {
  return (
    <Typography variant="h5" component="h1" gutterBottom>
      {children}
    </Typography>
  );
}
