/** The signed-in user and the manifest, loaded together after sign-in. */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { api, ApiError, setUnauthenticatedHandler } from "./api";
import type { Manifest } from "./manifest";

export interface Me {
  id: number;
  username: string;
  display_name: string;
  locale: string;
  permissions: Record<string, (string | null)[]>;
}

interface Session {
  me: Me | null;
  manifest: Manifest | null;
  ready: boolean;
  login: (username: string, password: string, totp?: string) => Promise<void>;
  logout: () => Promise<void>;
  can: (permission: string) => boolean;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [manifest, setManifest] = useState<Manifest | null>(null);
  const [ready, setReady] = useState(false);

  const load = useCallback(async () => {
    // Without the CSRF cookie there is no session: show the sign-in without asking (and a 401).
    if (!document.cookie.includes("rjc_csrf=")) {
      setReady(true);
      return;
    }
    try {
      const [user, loaded] = await Promise.all([
        api.get<Me>("/users/me"),
        api.get<Manifest>("/ui/manifest"),
      ]);
      setMe(user);
      setManifest(loaded);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) throw error;
      setMe(null);
      setManifest(null);
    } finally {
      setReady(true);
    }
  }, []);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setMe(null);
      setManifest(null);
    });
    load().catch(() => setReady(true));
  }, [load]);

  const login = useCallback(
    async (username: string, password: string, totp?: string) => {
      await api.post("/auth/login", { username, password, ...(totp ? { totp } : {}) });
      await load();
    },
    [load],
  );
  const logout = useCallback(async () => {
    try {
      await api.post("/auth/logout");
    } finally {
      setMe(null);
      setManifest(null);
    }
  }, []);
  const can = useCallback(
    (permission: string) => permission === "authenticated" || Boolean(me?.permissions[permission]),
    [me],
  );
  return (
    <SessionContext.Provider value={{ me, manifest, ready, login, logout, can }}>
      {children}
    </SessionContext.Provider>
  );
}

export function useSession(): Session {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}
