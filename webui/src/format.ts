/** Display helpers for values coming from the API. */
export function formatValue(value: unknown, locale: string): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date.toLocaleString(locale);
  }
  if (typeof value === "number") return value.toLocaleString(locale);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
