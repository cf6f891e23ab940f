import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import * as auth from "../../shared/api/auth.ts";
import * as common from "../../shared/api/common.ts";
import * as friends from "../../shared/api/friends.ts";
import * as media from "../../shared/api/media.ts";
import * as messages from "../../shared/api/messages.ts";
import * as push from "../../shared/api/push.ts";
import * as rooms from "../../shared/api/rooms.ts";
import * as search from "../../shared/api/search.ts";
import * as users from "../../shared/api/users.ts";
import { ROOM_DOC_SCHEMA_VERSION, receiptSchema, storedMessageSchema } from "../../shared/room-doc/index.ts";

/** A fingerprint of zod schemas: changes whenever a field, type or limit changes. */
function fingerprint(schemas: Record<string, unknown>): string {
  const json = Object.entries(schemas)
    .filter(([, value]) => value instanceof z.ZodType)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, schema]) => [name, z.toJSONSchema(schema as z.ZodType, { unrepresentable: "any", io: "input" })]);
  return createHash("sha256").update(JSON.stringify(json)).digest("hex").slice(0, 16);
}

// When one of these fails: the schema changed. If old clients or stored documents cannot read the
// new shape, bump the version (and write the migration); then record the new fingerprint here.
// (Adding routes and their schemas, as the social graph, message search and the member directory did, is compatible: record only. So is a
// new message field that older documents lack and readers take as empty, as `attachments` is.)
const RECORDED = {
  roomDocument: { version: 1, fingerprint: "9339b1d29235ce09" },
  restApi: { version: 1, fingerprint: "3aa4990c8449b484" },
};

describe("versioned schemas", () => {
  it("the room document schema does not change without its schemaVersion changing", () => {
    const now = fingerprint({ storedMessageSchema, receiptSchema });
    expect({ version: ROOM_DOC_SCHEMA_VERSION, fingerprint: now }).toEqual(RECORDED.roomDocument);
  });

  it("the REST payloads do not change without the API version changing", () => {
    const now = fingerprint({ ...auth, ...common, ...friends, ...media, ...messages, ...push, ...rooms, ...search, ...users });
    expect({ version: common.API_VERSION, fingerprint: now }).toEqual(RECORDED.restApi);
  });
});
