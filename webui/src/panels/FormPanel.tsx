/** The generic form panel: a flat JSON Schema object becomes fields; submitting sends it. */
import { Alert, Box, Button, FormControlLabel, MenuItem, Switch, TextField } from "@mui/material";
import { useState, type FormEvent } from "react";
import { request } from "../api";
import { useI18n } from "../i18n";
import type { PanelSpec } from "../manifest";

export interface FieldSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  default?: unknown;
}

export interface ObjectSchema {
  properties?: Record<string, FieldSchema>;
  required?: string[];
}

function baseType(schema: FieldSchema): string {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  return type ?? "string";
}

/** The value a field holds, converted to the schema's type; undefined when left empty. */
export function coerce(schema: FieldSchema, raw: unknown): unknown {
  if (raw === "" || raw === undefined) return undefined;
  const type = baseType(schema);
  if (type === "integer") return Number.parseInt(String(raw), 10);
  if (type === "number") return Number(raw);
  return raw;
}

export function SchemaForm({
  schema,
  onSubmit,
  submitLabel,
}: {
  schema: ObjectSchema;
  onSubmit: (value: Record<string, unknown>) => Promise<unknown>;
  submitLabel?: string;
}) {
  const { t } = useI18n();
  const properties = schema.properties ?? {};
  const [values, setValues] = useState<Record<string, unknown>>(() =>
    Object.fromEntries(Object.entries(properties).map(([name, field]) => [name, field.default ?? ""])),
  );
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(properties)) {
      const value = coerce(field, values[name]);
      if (value !== undefined) body[name] = value;
    }
    try {
      await onSubmit(body);
      setMessage({ ok: true, text: "OK" });
    } catch (error) {
      setMessage({ ok: false, text: (error as Error).message });
    }
  };
  return (
    <Box component="form" onSubmit={submit} sx={{ display: "grid", gap: 2 }}>
      {Object.entries(properties).map(([name, field]) => {
        const label = field.title ?? name;
        const required = schema.required?.includes(name);
        if (baseType(field) === "boolean")
          return (
            <FormControlLabel
              key={name}
              label={label}
              control={
                <Switch
                  checked={Boolean(values[name])}
                  onChange={(event) => setValues({ ...values, [name]: event.target.checked })}
                />
              }
            />
          );
        return (
          <TextField
            key={name}
            label={label}
            name={name}
            required={required}
            helperText={field.description}
            select={Boolean(field.enum)}
            type={["integer", "number"].includes(baseType(field)) ? "number" : "text"}
            value={values[name] ?? ""}
            onChange={(event) => setValues({ ...values, [name]: event.target.value })}
            size="small"
          >
            {field.enum?.map((option) => (
              <MenuItem key={String(option)} value={String(option)}>
                {String(option)}
              </MenuItem>
            ))}
          </TextField>
        );
      })}
      {message && <Alert severity={message.ok ? "success" : "error"}>{message.text}</Alert>}
      <Box>
        <Button type="submit" variant="contained">
          {submitLabel ?? t("common.save")}
        </Button>
      </Box>
    </Box>
  );
}

export function FormPanel({ panel, path }: { panel: PanelSpec; path: string }) {
  const schema = (panel.options.schema as ObjectSchema | undefined) ?? {};
  const method = ((panel.options.method as string | undefined) ?? "POST").toUpperCase();
  return <SchemaForm schema={schema} onSubmit={(body) => request(method, path, body)} />;
}
