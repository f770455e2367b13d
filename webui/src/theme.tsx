/** Light and dark themes; the choice is kept in localStorage. */
import { createTheme, CssBaseline, ThemeProvider } from "@mui/material";
import { createContext, useContext, useMemo, useState, type ReactNode } from "react";

type Mode = "light" | "dark";
const KEY = "rjc.theme";
const ModeContext = createContext<{ mode: Mode; toggle: () => void }>({
  mode: "light",
  toggle: () => {},
});

export function AppTheme({ children }: { children: ReactNode }) {
  const [mode, setMode] = useState<Mode>(() =>
    localStorage.getItem(KEY) === "dark" ? "dark" : "light",
  );
  const theme = useMemo(
    () =>
      createTheme({
        palette: { mode, primary: { main: mode === "dark" ? "#90caf9" : "#0d47a1" } },
        components: { MuiButtonBase: { defaultProps: { disableRipple: false } } },
      }),
    [mode],
  );
  const toggle = () =>
    setMode((now) => {
      const next = now === "dark" ? "light" : "dark";
      localStorage.setItem(KEY, next);
      return next;
    });
  return (
    <ModeContext.Provider value={{ mode, toggle }}>
      <ThemeProvider theme={theme}>
        <CssBaseline />
        {children}
      </ThemeProvider>
    </ModeContext.Provider>
  );
}

export const useThemeMode = () => useContext(ModeContext);
