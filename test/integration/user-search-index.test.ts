import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Queryable } from "../../server/db/database.ts";
import { migrateUp } from "../../server/db/migrate.ts";
import { openDatabase } from "../../server/db/open.ts";
import { searchUsers } from "../../server/users/search.ts";
import { backendsUnderTest, createThrowawayDatabase, type ThrowawayDatabase } from "../helpers/backends.ts";

const USERS = 100_000;

/** Usernames share the prefix `athlete_`, so only a longer one is selective (and has a `_` to escape). */
const SEED_USERS = `INSERT INTO users (id, username, display_name, password_hash)
  SELECT md5(i::text)::uuid, 'athlete_' || md5(i::text),
         (ARRAY['Ana', 'Ben', 'Chloe', 'Dmitri', 'Elif', 'Farah', 'Goran', 'Hana'])[1 + i % 8] || ' ' || i, 'not a hash'
    FROM generate_series(1, ${USERS}) AS i`;

/**
 * Indexes that can answer `lower(username) LIKE 'abc%'`. Under PostgreSQL's usual collations only
 * the text_pattern_ops one can; under the C collation (PGlite's) the unique index on lower(username)
 * serves a prefix just as well, and the planner takes either.
 */
const USERNAME_INDEXES = ["users_username_prefix", "users_username_key"];

/** One node of `EXPLAIN (FORMAT JSON)` output, with the fields these assertions read. */
interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

/** A Queryable that remembers every statement, so the test explains exactly what the server sends. */
function recording(db: Queryable): Queryable & { statements: Array<{ sql: string; params: unknown[] }> } {
  const statements: Array<{ sql: string; params: unknown[] }> = [];
  return {
    statements,
    query: (sql, params = []) => {
      statements.push({ sql, params });
      return db.query(sql, params);
    },
    exec: (sql) => db.exec(sql),
  };
}

describe.each(backendsUnderTest())("user search over 100,000 users on %s", (backend) => {
  let database: ThrowawayDatabase;
  let db: Database;
  // Not a match for either prefix below, so the expected hits need no special case for "me".
  const meId = "c4ca4238-a0b9-2382-0dcc-509a6f75849b"; // md5('1'), user 1

  beforeAll(async () => {
    database = await createThrowawayDatabase(backend);
    db = await openDatabase({ DATABASE_URL: database.env.DATABASE_URL, dataDir: database.env.DATA_DIR });
    await migrateUp(db);
    await db.query(SEED_USERS);
    await db.query("ANALYZE users");
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  // One prefix for each arm of the OR: a username prefix, and a display-name prefix.
  const prefixes = ["athlete_abc", "Chloe 123"];

  it.each(prefixes)("plans %j as prefix index scans, never reading every user", async (q) => {
    const recorder = recording(db);
    await searchUsers(recorder, meId, { q, limit: 20 });
    expect(recorder.statements).toHaveLength(1);
    const [statement] = recorder.statements;
    if (!statement) throw new Error("searchUsers sent no query");

    const { rows } = await db.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) ${statement.sql}`, statement.params);
    // pg parses the json column; PGlite may hand it back as text.
    const raw = rows[0]?.["QUERY PLAN"];
    const [explained] = (typeof raw === "string" ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
    if (!explained) throw new Error("EXPLAIN returned no plan");
    const nodes = planNodes(explained.Plan);

    const indexes = nodes.map((n) => n["Index Name"]).filter((name) => name !== undefined);
    expect(indexes.filter((name) => USERNAME_INDEXES.includes(name))).not.toEqual([]);
    expect(indexes).toContain("users_display_name_prefix");
    const seqScansOnUsers = nodes.filter((n) => n["Node Type"] === "Seq Scan" && n["Relation Name"] === "users");
    expect(seqScansOnUsers).toEqual([]);
  });

  it.each(prefixes)("returns every user whose username or display name starts with %j, once, by username", async (q) => {
    // starts_with, not LIKE: an oracle that shares nothing with the query under test.
    const expected = await db.query<{ id: string }>(
      `SELECT id FROM users
        WHERE (starts_with(lower(username), lower($1)) OR starts_with(lower(display_name), lower($1))) AND id <> $2
        ORDER BY lower(username)`,
      [q, meId],
    );
    expect(expected.rows.length).toBeGreaterThan(5);

    const found: string[] = [];
    let before: string | undefined;
    do {
      const page = await searchUsers(db, meId, { q, limit: 10, ...(before ? { before } : {}) });
      if (!page) throw new Error("the server refused its own cursor");
      found.push(...page.items.map((item) => item.id));
      before = page.next_cursor ?? undefined;
    } while (before);
    expect(found).toEqual(expected.rows.map((row) => row.id));
  });
});
