import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api";
import { fieldErrors, parseField, SchemaFields } from "../components/SchemaFields";
import { I18nProvider } from "../i18n";
import { conditionSchema, conditionTypes, describeCondition, ruleDocument, RuleEditor, silenceState, type RuleSchema } from "./Automation";
import { ChannelEditor, channelBody, maskedSecrets, type Channel, type ChannelType } from "./Channels";
import { errorTotals, reportingGroups, type AggregateGroup } from "./Dashboard";

/** The server's rule schema, trimmed to two condition types (same shape as RULE_SCHEMA). */
const RULE_SCHEMA: RuleSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    description: { type: "string" },
    severity: { enum: ["info", "warning", "minor", "major", "critical"], default: "major" },
    scope: {
      type: "object",
      properties: { kind: { enum: ["all", "olt", "model"] }, value: { type: "string" }, device_kind: { type: "string" } },
      required: ["kind"],
    },
    condition: {
      type: "object",
      properties: { type: { enum: ["threshold", "event"] } },
      allOf: [
        {
          if: { properties: { type: { const: "threshold" } } },
          then: {
            required: ["metric", "op", "value"],
            properties: { type: {}, metric: { type: "string" }, op: { enum: [">", ">=", "<", "<="] }, value: { type: "number" }, for_seconds: { type: "integer" } },
          },
        },
        {
          if: { properties: { type: { const: "event" } } },
          then: { required: ["event"], properties: { type: {}, event: { type: "string" }, count: { type: "integer" }, clear_events: { type: "array", items: { type: "string" } } } },
        },
      ],
    },
    dedup_key: { type: "string" },
    channels: { type: "array", items: { type: "string" } },
  },
};

const WEBHOOK: ChannelType = {
  name: "webhook",
  title: "Webhook (signed JSON POST)",
  config_schema: {
    type: "object",
    required: ["url"],
    properties: {
      url: { type: "string", description: "Endpoint to POST to" },
      secret: { type: "string" },
      headers: { type: "object" },
      timeout: { type: "number", default: 10 },
    },
  },
  secret_fields: ["secret", "headers"],
  attachments: false,
};

type Sent = { url: string; method: string; body: Record<string, unknown> };

/** A fetch answering each request with the next of `answers`, recording what was sent. */
function stubFetch(answers: { status: number; body: unknown }[]): Sent[] {
  const sent: Sent[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init: RequestInit) => {
      sent.push({ url, method: String(init.method), body: JSON.parse(String(init.body ?? "{}")) });
      const answer = answers.shift() ?? { status: 500, body: {} };
      return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { "Content-Type": "application/json" } });
    }),
  );
  return sent;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("schema fields", () => {
  it("maps the server's field errors and parses typed values", () => {
    const error = new ApiError(422, "Invalid body", "", {
      invalid_params: [
        { name: "body.config.url", reason: "'ftp://x' does not match '^https?://'" },
        { name: "body.name", reason: "too short" },
      ],
    });
    expect(fieldErrors(error, "body")).toEqual({ "config.url": "'ftp://x' does not match '^https?://'", name: "too short" });
    expect(fieldErrors(new Error("x"))).toEqual({});
    expect(parseField({ type: "integer" }, "42")).toBe(42);
    expect(parseField({ type: "number" }, "abc")).toBe("abc");
    expect(parseField({ type: "array", items: { type: "string" } }, "a, b,")).toEqual(["a", "b"]);
    expect(parseField({ type: "object" }, '{"X-Tenant": "rj"}')).toEqual({ "X-Tenant": "rj" });
    expect(parseField({ type: "string" }, "")).toBeUndefined();
  });

  it("shows secrets as password inputs, stored ones only as set", () => {
    render(
      <SchemaFields
        schema={WEBHOOK.config_schema}
        values={{ url: "https://noc.example/hook" }}
        onChange={() => undefined}
        secretFields={WEBHOOK.secret_fields}
        secretsSet={["secret"]}
        errors={{ url: "bad url" }}
      />,
    );
    const secret = screen.getByLabelText("secret");
    expect(secret.getAttribute("type")).toBe("password");
    expect((secret as HTMLInputElement).value).toBe("");
    expect(screen.getByText("•••••••• (stored)")).toBeTruthy();
    expect(screen.getByText("bad url")).toBeTruthy();
  });
});

describe("notification channels", () => {
  it("creates a webhook channel from its type's schema", async () => {
    const sent = stubFetch([{ status: 201, body: { id: "c1", name: "noc-hook", type: "webhook", secrets_set: ["secret"] } }]);
    const saved: Channel[] = [];
    render(
      <I18nProvider initial="en">
        <ChannelEditor open types={[WEBHOOK]} presetType="webhook" onClose={() => undefined} onSaved={(c) => saved.push(c)} />
      </I18nProvider>,
    );
    fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: "noc-hook" } });
    fireEvent.change(screen.getByLabelText(/^config\.url/), { target: { value: "http://127.0.0.1:9/hook" } });
    fireEvent.change(screen.getByLabelText(/^config\.secret/), { target: { value: "whsec-0123456789abcdef" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(sent[0].url).toBe("/api/v1/notification-channels");
    expect(sent[0].body).toMatchObject({ name: "noc-hook", type: "webhook", config: { url: "http://127.0.0.1:9/hook", secret: "whsec-0123456789abcdef" } });
  });

  it("shows the server's error under the config field", async () => {
    stubFetch([{ status: 422, body: { title: "Invalid body", detail: "body.config.url: bad", invalid_params: [{ name: "body.config.url", reason: "does not match '^https?://'" }] } }]);
    render(
      <I18nProvider initial="pt-BR">
        <ChannelEditor open types={[WEBHOOK]} presetType="webhook" onClose={() => undefined} onSaved={() => undefined} />
      </I18nProvider>,
    );
    fireEvent.change(screen.getByLabelText(/^Nome/), { target: { value: "x" } });
    fireEvent.change(screen.getByLabelText(/^config\.url/), { target: { value: "ftp://x" } });
    fireEvent.click(screen.getByRole("button", { name: "Salvar" }));
    await waitFor(() => expect(screen.getByText("does not match '^https?://'")).toBeTruthy());
  });

  it("keeps stored secrets when editing: empty ones are not sent, type is not sent", () => {
    const form = { name: "n", type: "webhook", config: { url: "https://a", secret: undefined }, recipient: "", language: "en", team: "", rate_limit_per_minute: null, max_attempts: 5, enabled: true };
    const body = channelBody(form, ["secret"], false);
    expect(body.config).toEqual({ url: "https://a" });
    expect("type" in body).toBe(false);
    expect(maskedSecrets({ secrets_set: ["secret", "headers"] })).toBe("secret: ••••••••, headers: ••••••••");
  });
});

describe("alert rules", () => {
  it("reads condition fields from the schema's branches", () => {
    expect(conditionTypes(RULE_SCHEMA)).toEqual(["threshold", "event"]);
    expect(Object.keys(conditionSchema(RULE_SCHEMA, "event").properties ?? {})).toContain("clear_events");
    expect(describeCondition({ type: "threshold", metric: "cpe.pppoe_error", op: ">=", value: 1 })).toBe("threshold: cpe.pppoe_error >= 1");
    expect(ruleDocument({ id: "r", created_at: "x", updated_at: "y", name: "n", enabled: false })).toEqual({ name: "n", enabled: false });
  });

  it("sends the document, shows the server's field error, then saves", async () => {
    const sent = stubFetch([
      { status: 422, body: { title: "Invalid body", detail: "body.condition.value: 'value' is a required property", invalid_params: [{ name: "body.condition.value", reason: "'value' is a required property" }] } },
      { status: 201, body: { id: "r1", name: "PPPoE", enabled: true } },
    ]);
    const saved: unknown[] = [];
    render(
      <I18nProvider initial="en">
        <RuleEditor schema={RULE_SCHEMA} channels={[]} onClose={() => undefined} onSaved={(rule) => saved.push(rule)} />
      </I18nProvider>,
    );
    const dialog = screen.getByRole("dialog");
    fireEvent.change(within(dialog).getByLabelText(/^Name/), { target: { value: "PPPoE" } });
    fireEvent.change(within(dialog).getByLabelText(/^condition\.metric/), { target: { value: "cpe.pppoe_error" } });
    fireEvent.change(within(dialog).getByLabelText(/^condition\.value/), { target: { value: "" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(within(dialog).getByText("'value' is a required property")).toBeTruthy());
    expect(sent[0].body).toMatchObject({ name: "PPPoE", severity: "major", scope: { kind: "all" } });
    expect(sent[0].body.condition).toEqual({ type: "threshold", metric: "cpe.pppoe_error", op: ">" });

    fireEvent.change(within(dialog).getByLabelText(/^condition\.value/), { target: { value: "1" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(sent[1].method).toBe("POST");
    expect(sent[1].body.condition).toEqual({ type: "threshold", metric: "cpe.pppoe_error", op: ">", value: 1 });
  });

  it("edits the whole document as JSON", async () => {
    const sent = stubFetch([{ status: 200, body: { id: "r1", name: "Boot loop", enabled: true } }]);
    const rule = { id: "r1", name: "Boot loop", enabled: true, created_at: "t", updated_at: "t", condition: { type: "event", event: "cpe.boot" } };
    render(
      <I18nProvider initial="en">
        <RuleEditor schema={RULE_SCHEMA} rule={rule} channels={[]} onClose={() => undefined} onSaved={() => undefined} />
      </I18nProvider>,
    );
    fireEvent.click(screen.getByRole("button", { name: "Edit as JSON" }));
    const text = screen.getByLabelText(/Rule document/) as HTMLTextAreaElement;
    expect(JSON.parse(text.value)).toEqual({ name: "Boot loop", enabled: true, condition: { type: "event", event: "cpe.boot" } });
    fireEvent.change(text, { target: { value: JSON.stringify({ name: "Boot loop", condition: { type: "event", event: "cpe.boot", count: 3 } }) } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toMatchObject({ url: "/api/v1/alert-rules/r1", method: "PUT", body: { condition: { count: 3 } } });
  });

  it("tells active, scheduled and expired silences apart", () => {
    const now = new Date("2026-01-01T12:00:00Z");
    expect(silenceState({ starts_at: "2026-01-01T11:00:00Z", ends_at: "2026-01-01T13:00:00Z" }, now)).toBe("active");
    expect(silenceState({ starts_at: "2026-01-01T12:30:00Z", ends_at: "2026-01-01T13:00:00Z" }, now)).toBe("scheduled");
    expect(silenceState({ starts_at: "2026-01-01T10:00:00Z", ends_at: "2026-01-01T11:00:00Z" }, now)).toBe("expired");
  });
});

describe("dashboard aggregates", () => {
  const group = (fields: Partial<AggregateGroup>): AggregateGroup => ({ key: "k", devices: 1, reporting: 1, nonzero: 0, samples: 1, sum: 0, avg: 0, min: 0, max: 0, ...fields });

  it("adds WAN errors over the groups and keeps neighbourhoods with samples", () => {
    const groups = [group({ key: "Botafogo", reporting: 2 }), group({ key: "Copacabana", nonzero: 1, sum: 4 }), group({ key: "(none)", reporting: 0, samples: 0 })];
    expect(errorTotals(groups)).toEqual({ nonzero: 1, reporting: 3, reports: 4 });
    expect(reportingGroups(groups).map((g) => g.key)).toEqual(["Botafogo", "Copacabana"]);
  });
});
