/** The API client: session cookie, CSRF header on unsafe methods, problem+json errors. */

export const API = "/api/v1";

/** An error the API answered with (RFC 9457 problem+json). */
export class ApiError extends Error {
  constructor(
    public status: number,
    public title: string,
    public detail: string,
    public body: Record<string, unknown> = {},
  ) {
    super(detail || title);
  }
}

/** A page of a cursor-paginated list. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)rjc_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** Called when the session has ended (a 401), so the shell shows the login page. */
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!["GET", "HEAD"].includes(method)) headers["X-CSRF-Token"] = csrfToken();
  const url = path.startsWith("/api/") ? path : API + path;
  const response = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (!response.ok) {
    if (response.status === 401 && !path.endsWith("/auth/login")) onUnauthenticated();
    throw new ApiError(response.status, data.title ?? response.statusText, data.detail ?? "", data);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, query?: Record<string, string | number | undefined | null>) =>
    request<T>("GET", path + queryString(query)),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
  delete: <T>(path: string) => request<T>("DELETE", path),
};

export type Api = typeof api;

export function queryString(query?: Record<string, string | number | undefined | null>): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}
