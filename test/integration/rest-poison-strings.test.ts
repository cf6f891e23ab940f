import { beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import { ApiClient, signUpAll, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { png, upload } from "../helpers/media-fixtures.ts";
import { useTestServer } from "../helpers/test-server.ts";

// A JSON Schema as the OpenAPI document gives it (zod's output); only what the walk reads.
interface JsonSchema {
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}
interface Parameter {
  name: string;
  in: "path" | "query";
  required: boolean;
  schema: JsonSchema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

/** Strings PostgreSQL cannot hold, as JSON carries them: NUL and lone surrogates, alone and inside text. */
const BODY_POISONS = ["\u0000", "a\u0000b", "\ud800", "x\udc00y"];
/** The same in a URL: %00, and the bytes a lone surrogate would be (CESU-8, not UTF-8). */
const URL_POISONS = ["%00", "a%00b", "%ED%A0%80"];

const isString = (s: JsonSchema) => s.type === "string" || (Array.isArray(s.type) && s.type.includes("string"));
/** Free text: a string with no format, pattern or fixed values, so only the text rule can refuse it. */
const isFreeText = (s: JsonSchema): boolean =>
  (isString(s) && !s.format && !s.pattern && !s.enum && s.const === undefined) || (s.anyOf ?? []).some(isFreeText);

/** One request body per string anywhere in `schema`, that string poisoned (the rest left out). */
function poisonedBodies(schema: JsonSchema, poison: string): Array<{ field: string; body: unknown; freeText: boolean }> {
  if (isString(schema)) return [{ field: "", body: poison, freeText: isFreeText(schema) }];
  const options = schema.anyOf ?? schema.oneOf;
  if (options) {
    if (options.some(isString)) return [{ field: "", body: poison, freeText: isFreeText(schema) }];
    return options.flatMap((o) => poisonedBodies(o, poison));
  }
  if (schema.type === "array" && schema.items) {
    return poisonedBodies(schema.items, poison).map((p) => ({ ...p, field: `[]${p.field}`, body: [p.body] }));
  }
  if (schema.properties) {
    // A discriminated union's option is named by its constant fields: keep them, so zod picks it.
    const constants = Object.fromEntries(
      Object.entries(schema.properties)
        .filter(([, s]) => s.const !== undefined)
        .map(([k, s]) => [k, s.const]),
    );
    return Object.entries(schema.properties).flatMap(([key, s]) =>
      poisonedBodies(s, poison).map((p) => ({ ...p, field: `.${key}${p.field}`, body: { ...constants, [key]: p.body } })),
    );
  }
  return [];
}

/** Ids the suite owns, so every path parameter but the poisoned one names something real. */
interface Fixture {
  admin: TestUser;
  params: Record<string, string>;
}

async function makeFixture(url: string, grantAdmin: (id: string) => Promise<void>): Promise<Fixture> {
  const [admin, other] = await signUpAll(url, "admin", "other");
  await grantAdmin(admin.id);
  const room = await admin.api.post("/api/v1/chat/rooms", { type: "group", name: "Poison", participant_ids: [other.id] });
  const message = await admin.api.post(`/api/v1/chat/messages/${room.body.id}`, { content: "hello" });
  const request = await other.api.post("/api/v1/chat/friends/requests", { requestee_id: admin.id });
  const report = await admin.api.post("/api/v1/reports", { user_id: other.id, reason: "spam" });
  const media = await upload(url, admin, room.body.id, "dot.png", await png());
  for (const res of [room, message, request, report, media]) expect(res.status).toBeLessThan(300);
  return {
    admin,
    params: {
      room_id: room.body.id,
      message_id: message.body.id,
      user_id: other.id,
      id: request.body.id,
      report_id: report.body.id,
      media_id: media.body.id,
      username: other.username,
      emoji: encodeURIComponent("👍"),
    },
  };
}

/** A value a query parameter accepts, for the required ones beside the poisoned one. */
function sampleQueryValue(param: Parameter, fixture: Fixture): string {
  if (param.name === "room_id") return fixture.params.room_id ?? "";
  const s = param.schema;
  if (s.enum) return String(s.enum[0]);
  if (s.format === "uuid") return newId();
  return s.type === "integer" || s.type === "number" ? "1" : "x";
}

describe.each(backendsUnderTest())("NUL and lone surrogates over REST on %s", (backend) => {
  const t = useTestServer(backend);
  let fixture: Fixture;
  let operations: Array<{ method: string; path: string; op: Operation }>;
  beforeAll(async () => {
    fixture = await makeFixture(t.server.url, async (id) => {
      await t.server.context.db.query("UPDATE users SET is_server_admin = true WHERE id = $1", [id]);
    });
    const doc = (await new ApiClient(t.server.url).get("/api/v1/openapi.json")).body;
    operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
    );
  });

  /**
   * Send one poisoned request as the admin; a complaint unless it is a 4xx in our envelope (with
   * `code` when given), or, when `mayPass`, a 2xx.
   */
  async function probe(method: string, url: string, body: unknown, code?: string, mayPass = false): Promise<string | null> {
    const res = await fixture.admin.api.request(method, url, body);
    const error = res.body?.error;
    const enveloped = typeof error?.message === "string" && typeof error?.code === "string" && error.code in ERROR_CODES;
    if (res.status >= 400 && res.status < 500 && enveloped && (!code || error.code === code)) return null;
    if (mayPass && res.status < 300) return null;
    return `${method} ${url} ${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`;
  }

  const pathWith = (path: string, poisoned?: string, poison?: string) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => (name === poisoned ? (poison ?? "") : (fixture.params[name] ?? newId())));

  it("refuses them in every path parameter of the OpenAPI document with a 4xx error envelope", async () => {
    const complaints: string[] = [];
    let probes = 0;
    for (const { method, path, op } of operations) {
      for (const param of (op.parameters ?? []).filter((p) => p.in === "path")) {
        for (const poison of URL_POISONS) {
          probes++;
          const complaint = await probe(method, pathWith(path, param.name, poison), undefined);
          if (complaint) complaints.push(complaint);
        }
      }
    }
    expect(complaints).toEqual([]);
    expect(probes).toBeGreaterThan(100);
  });

  it("refuses them in every query parameter, free text with invalid_text", async () => {
    const complaints: string[] = [];
    const probed = new Set<string>();
    for (const { method, path, op } of operations) {
      const query = (op.parameters ?? []).filter((p) => p.in === "query");
      for (const param of query) {
        const others = query.filter((p) => p.required && p !== param).map((p) => `${p.name}=${sampleQueryValue(p, fixture)}`);
        for (const poison of URL_POISONS) {
          probed.add(`${method} ${path} ${param.name}`);
          const url = `${pathWith(path)}?${[...others, `${param.name}=${poison}`].join("&")}`;
          // NUL decodes to U+0000. Bytes that are not UTF-8 stay the literal text "%ED%A0%80" (Fastify's
          // query parser keeps what it cannot decode): storable, so a 2xx is a fair answer to them.
          const nul = poison.includes("%00");
          const code = isFreeText(param.schema) && nul ? "invalid_text" : undefined;
          const complaint = await probe(method, url, undefined, code, !nul);
          if (complaint) complaints.push(complaint);
        }
      }
    }
    expect(complaints).toEqual([]);
    // The list routes are described with their query parameters, so the walk reaches them.
    expect([...probed]).toEqual(
      expect.arrayContaining([
        "GET /api/v1/users/search q",
        "GET /api/v1/users/search before",
        "GET /api/v1/chat/rooms before",
        "GET /api/v1/chat/messages/{room_id} before",
        "POST /api/v1/media name",
      ]),
    );
  });

  it("refuses them in every string of every JSON body with invalid_text, never a 5xx", async () => {
    const complaints: string[] = [];
    const probed = new Set<string>();
    for (const { method, path, op } of operations) {
      const schema = op.requestBody?.content["application/json"]?.schema;
      if (!schema) continue;
      for (const poison of BODY_POISONS) {
        for (const { field, body, freeText } of poisonedBodies(schema, poison)) {
          probed.add(`${method} ${path} ${field}`);
          const complaint = await probe(method, pathWith(path), body, freeText ? "invalid_text" : undefined);
          if (complaint) complaints.push(complaint);
        }
      }
    }
    expect(complaints).toEqual([]);
    // The fields the issue found answering 500 are among those walked.
    expect([...probed]).toEqual(
      expect.arrayContaining([
        "POST /api/v1/auth/login .username",
        "PUT /api/v1/users/me .display_name",
        "PUT /api/v1/users/me .bio",
        "DELETE /api/v1/push/subscriptions .endpoint",
        "PUT /api/v1/chat/rooms/{room_id} .name",
        "PUT /api/v1/chat/rooms/{room_id} .description",
        "POST /api/v1/chat/messages/{room_id} .content",
        "PUT /api/v1/chat/messages/{message_id} .content",
        "POST /api/v1/chat/messages/{room_id} .location.label",
      ]),
    );
  });

  it("answers a path that does not decode, or an id longer than the router takes, with 400 invalid_request", async () => {
    for (const path of [`/api/v1/chat/rooms/%ED%A0%80`, `/api/v1/chat/rooms/${"a".repeat(5000)}`, "/api/v1/chat/messages/%E0%A4"]) {
      const res = await fixture.admin.api.get(path);
      expect({ path: path.slice(0, 40), status: res.status, code: res.body?.error?.code }).toEqual({
        path: path.slice(0, 40),
        status: 400,
        code: "invalid_request",
      });
      expect(res.body.error.message).toEqual(expect.any(String));
    }
  });

  it("still stores well-formed text beside them: emoji, combining marks and right-to-left script", async () => {
    const text = "Dale 💪🏽 — café ́ שלום";
    const edited = await fixture.admin.api.put("/api/v1/users/me", { bio: text });
    expect([edited.status, edited.body.bio]).toEqual([200, text]);
    const sent = await fixture.admin.api.post(`/api/v1/chat/messages/${fixture.params.room_id}`, { content: text });
    expect([sent.status, sent.body.content]).toEqual([201, text]);
  });
});
