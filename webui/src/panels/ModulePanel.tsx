/**
 * A plugin's own panel: an ES module from its static folder, imported at run time.
 *
 * The module's default export is `mount(element, context)`; it may return a function
 * the shell calls to unmount. See docs/webui.md for the context it receives.
 */
import { useEffect, useRef, useState } from "react";
import { Alert } from "@mui/material";
import { api } from "../api";
import { useI18n } from "../i18n";
import type { PanelSpec } from "../manifest";
import { useThemeMode } from "../theme";

export interface PanelContext {
  panel: PanelSpec;
  params: Record<string, string>;
  locale: string;
  theme: "light" | "dark";
  api: typeof api;
}

export type MountPanel = (element: HTMLElement, context: PanelContext) => void | (() => void);

/** Imports a module by URL; a variable specifier keeps the bundler from resolving it. */
export const importModule = (url: string): Promise<{ default?: MountPanel }> =>
  import(/* @vite-ignore */ url);

/**
 * Whether the shell may import a module from `url`: this server's own files (a plugin's static
 * folder) or inline code, never another host, so nothing comes from a CDN or a third party.
 */
export function allowedModuleUrl(url: string, origin = window.location.origin): boolean {
  try {
    const parsed = new URL(url, origin);
    return parsed.origin === origin || parsed.protocol === "data:";
  } catch {
    return false;
  }
}

export function ModulePanel({ panel, params }: { panel: PanelSpec; params: Record<string, string> }) {
  const element = useRef<HTMLDivElement>(null);
  const { locale } = useI18n();
  const { mode } = useThemeMode();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let cleanup: void | (() => void);
    let live = true;
    const load = allowedModuleUrl(panel.module_url)
      ? importModule(panel.module_url)
      : Promise.reject(new Error(`${panel.module_url}: modules load only from this server`));
    load
      .then((module) => {
        if (!live || !element.current) return;
        if (typeof module.default !== "function")
          throw new Error(`${panel.module_url} has no default export mount(element, context)`);
        cleanup = module.default(element.current, { panel, params, locale, theme: mode, api });
      })
      .catch((reason: Error) => live && setError(reason.message));
    return () => {
      live = false;
      if (typeof cleanup === "function") cleanup();
      if (element.current) element.current.replaceChildren();
    };
  }, [panel, JSON.stringify(params), locale, mode]);
  if (error)
    return (
      <Alert severity="warning" data-testid="panel-error">
        {error}
      </Alert>
    );
  return <div ref={element} data-module={panel.module_url} />;
}
