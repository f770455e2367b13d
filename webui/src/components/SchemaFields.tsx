/**
 * Fields of a JSON Schema object, controlled by the caller: strings, numbers, booleans, enums,
 * string lists (comma-separated) and anything else as JSON text. Secret fields are password
 * inputs that show only whether a value is stored; the server's field errors show under their
 * field.
 */
import { FormControlLabel, MenuItem, Switch, TextField } from "@mui/material";
import { ApiError } from "../api";

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
}

export function schemaType(schema: JsonSchema): string {
  if (schema.enum) return "enum";
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (type === "array" && schema.items?.type === "string") return "strings";
  return type ?? "string";
}

/** The server's field errors (`invalid_params`) under `prefix` (`body.config`), by field path. */
export function fieldErrors(error: unknown, prefix = "body"): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const found: Record<string, string> = {};
  const params = (error.body.invalid_params as { name: string; reason: string }[] | undefined) ?? [];
  for (const param of params) {
    if (param.name === prefix || param.name.startsWith(prefix + ".")) {
      found[param.name.slice(prefix.length + 1)] = param.reason;
    }
  }
  return found;
}

/** What an input's text means for a field of this schema (raw text when it does not parse). */
export function parseField(schema: JsonSchema, text: string): unknown {
  const type = schemaType(schema);
  if (text === "") return undefined;
  if (type === "integer" || type === "number") {
    const value = Number(text);
    return Number.isFinite(value) ? value : text;
  }
  if (type === "strings")
    return text
      .split(",")
      .map((part) => part.trim())
      .filter(Boolean);
  if (type === "object" || type === "array") {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** The text an input shows for a value. */
export function fieldText(schema: JsonSchema, value: unknown): string {
  if (value === undefined || value === null) return "";
  const type = schemaType(schema);
  if (type === "strings" && Array.isArray(value)) return value.join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function SchemaFields({
  schema,
  values,
  onChange,
  errors = {},
  prefix = "",
  secretFields = [],
  secretsSet = [],
  secretLabel = "stored",
  skip = [],
}: {
  schema: JsonSchema;
  values: Record<string, unknown>;
  onChange: (name: string, value: unknown) => void;
  /** Field errors by path relative to this object's parent (`prefix` + name). */
  errors?: Record<string, string>;
  prefix?: string;
  secretFields?: string[];
  secretsSet?: string[];
  secretLabel?: string;
  skip?: string[];
}) {
  const properties = Object.entries(schema.properties ?? {}).filter(([name]) => !skip.includes(name));
  return (
    <>
      {properties.map(([name, field]) => {
        const type = schemaType(field);
        // Nested fields are labelled by their path, as the server names them in its errors.
        const label = field.title ?? prefix + name;
        const error = errors[prefix + name];
        const required = schema.required?.includes(name);
        const id = `field-${(prefix + name).replace(/\W/g, "-")}`;
        if (type === "boolean")
          return (
            <FormControlLabel
              key={name}
              label={label}
              control={<Switch checked={Boolean(values[name] ?? field.default)} onChange={(event) => onChange(name, event.target.checked)} />}
            />
          );
        const secret = secretFields.includes(name);
        const stored = secret && secretsSet.includes(name);
        const helper = error ?? (stored ? `•••••••• (${secretLabel})` : field.description);
        const value = values[name];
        // Raw text is kept while it does not parse, so a half-typed JSON object is not lost.
        return (
          <TextField
            key={name}
            id={id}
            label={label}
            name={name}
            size="small"
            required={required && !stored}
            error={Boolean(error)}
            helperText={helper}
            select={type === "enum"}
            multiline={!secret && (type === "object" || type === "array")}
            type={secret ? "password" : type === "integer" || type === "number" ? "number" : "text"}
            autoComplete={secret ? "new-password" : undefined}
            placeholder={type === "object" ? "{}" : type === "strings" ? "a, b" : field.default !== undefined ? String(field.default) : undefined}
            value={typeof value === "string" && type !== "enum" && type !== "string" ? value : fieldText(field, value)}
            onChange={(event) => onChange(name, parseField(field, event.target.value))}
          >
            {field.enum?.map((option) => (
              <MenuItem key={String(option)} value={String(option)}>
                {String(option)}
              </MenuItem>
            ))}
          </TextField>
        );
      })}
    </>
  );
}
