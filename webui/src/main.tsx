import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router-dom";
import { App } from "./App";
import { AppTheme } from "./theme";
import { SessionProvider } from "./session";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <BrowserRouter>
      <AppTheme>
        <SessionProvider>
          <App />
        </SessionProvider>
      </AppTheme>
    </BrowserRouter>
  </StrictMode>,
);
