/**
 * The social graph's read queries at scale: friend suggestions and user search, timed against a
 * graph of 100,000 users and 1,000,000 friendships (2,000,000 rows, both directions) with pending
 * requests and blocks, through the server's own query functions. Figures only; nothing passes or
 * fails. `npx tsx bench/social-graph.ts` runs it on PostgreSQL (BENCH_BACKEND=pglite for PGlite).
 */
import { pathToFileURL } from "node:url";
import type { Database } from "../server/db/database.ts";
import { migrateUp } from "../server/db/migrate.ts";
import { openDatabase } from "../server/db/open.ts";
import { SUGGESTIONS_SQL, suggestFriends } from "../server/friends/suggestions.ts";
import { searchUsers } from "../server/users/search.ts";
import { type Backend, createThrowawayDatabase } from "../test/helpers/backends.ts";
import { progress } from "./stats.ts";

const USERS = 100_000;
const FRIENDSHIPS = 1_000_000;
const PENDING_REQUESTS = 10_000;
const BLOCKS = 10_000;
const SAMPLE = Number(process.env.BENCH_SAMPLE ?? 200);
const WARM_UP = 20;
const PAGE = 20;

// Several first names share an initial (and some two letters), as real names do, so 1-, 2- and
// 3-letter prefixes match progressively fewer people.
const NAMES = `Ana Andre Ben Bianca Carlos Chloe Dmitri Elif Emma Farah Goran Hana Ivan Julia Kenji Lena Liam
  Lucas Maria Marco Mateo Mia Nadia Omar Priya Rosa Sam Sara Sofia Sven Tariq Wei Yara Zoe`.split(/\s+/);
const LAST_NAMES = "Silva Novak Okafor Berg Kim Rossi Haddad Moreau Tanaka Kowalski Ng Diaz".split(" ");
const sqlArray = (names: string[]) => `ARRAY[${names.map((n) => `'${n}'`).join(", ")}]`;

/** User i has id md5(i)::uuid, so every generator below can name a user from an integer alone. */
const userId = (i: string) => `md5((${i})::text)::uuid`;
/** A deterministic pseudo-random integer in [0, n) from a key and a seed (PostgreSQL's own hash). */
const hashMod = (key: string, seed: number, n: number) => `((hashint8extended((${key})::bigint, ${seed}) % ${n} + ${n}) % ${n})`;

// Usernames and display names draw first names independently, so both arms of the search's OR have hits.
const SEED_USERS = `INSERT INTO users (id, username, display_name, password_hash)
  SELECT ${userId("i")},
         lower((${sqlArray(NAMES)})[1 + ${hashMod("i", 1, NAMES.length)}]) || '_' || i,
         (${sqlArray(NAMES)})[1 + ${hashMod("i", 2, NAMES.length)}]
           || ' ' || (${sqlArray(LAST_NAMES)})[1 + ${hashMod("i", 3, LAST_NAMES.length)}],
         'not a hash'
    FROM generate_series(1, ${USERS}) AS i`;

// Half the candidate pairs are neighbours (ids within 500), so friends share friends and
// suggestions have real mutual counts; the other half pick a partner skewed towards low ids
// (u² of a uniform u), so a few users are hubs with a thousand or more friends, as in real
// graphs. Self-pairs are dropped and duplicates grouped away; the first FRIENDSHIPS distinct pairs,
// in generation order, make the count exact and the run repeatable.
const SEED_FRIENDSHIPS = `INSERT INTO friendships (user_id, friend_id)
  SELECT ${userId("d.a")}, ${userId("d.b")}
    FROM (
      SELECT least(a, b) AS a, greatest(a, b) AS b
        FROM (
          SELECT k, 1 + ${hashMod("k", 4, USERS)} AS a,
                 CASE WHEN k % 2 = 0
                      THEN 1 + (${hashMod("k", 4, USERS)} + 1 + ${hashMod("k", 5, 500)}) % ${USERS}
                      ELSE 1 + floor(${USERS} * power(${hashMod("k", 6, 1_000_000)} / 1e6, 2))::int
                 END AS b
            FROM generate_series(1, ${Math.round(FRIENDSHIPS * 1.2)}) AS k
        ) candidates
       WHERE a <> b
       GROUP BY 1, 2
       ORDER BY min(k)
       LIMIT ${FRIENDSHIPS}
    ) p
    CROSS JOIN LATERAL (VALUES (p.a, p.b), (p.b, p.a)) AS d(a, b)`;

/** Neighbouring pairs that are not friends: mostly friends of friends, so suggestions must skip them. */
const nonFriendNeighbours = (count: number, seed: number) => `
  SELECT k, ${userId(`1 + ${hashMod("k", seed, USERS)}`)} AS a,
         ${userId(`1 + (${hashMod("k", seed, USERS)} + 1 + ${hashMod("k", seed + 1, 500)}) % ${USERS}`)} AS b
    FROM generate_series(1, ${count}) AS k`;

// A block ends any friendship and pending request between the two, so neither coexists with one.
const SEED_REQUESTS = `INSERT INTO friend_requests (id, requester_id, requestee_id)
  SELECT md5('request ' || k)::uuid, a, b FROM (${nonFriendNeighbours(PENDING_REQUESTS, 7)}) n
   WHERE NOT EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = n.a AND f.friend_id = n.b)
  ON CONFLICT DO NOTHING`;
const SEED_BLOCKS = `INSERT INTO user_blocks (blocker_id, blocked_id)
  SELECT a, b FROM (${nonFriendNeighbours(BLOCKS, 9)}) n
   WHERE NOT EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = n.a AND f.friend_id = n.b)
     AND NOT EXISTS (SELECT 1 FROM friend_requests r
                      WHERE r.status = 'pending' AND ((r.requester_id, r.requestee_id) IN ((n.a, n.b), (n.b, n.a))))
  ON CONFLICT DO NOTHING`;

async function timed(label: string, work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  progress(`${label}: ${(ms / 1000).toFixed(1)} s`);
  return ms;
}

/** A small seeded PRNG (mulberry32): the same sample of users on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sampled {
  id: string;
  username: string;
  degree: number;
}

/** `count` users drawn with a fixed seed, with their username and number of friends. */
async function sampleUsers(db: Database, count: number, seed: number): Promise<Sampled[]> {
  const next = random(seed);
  const picks = Array.from({ length: count }, () => 1 + Math.floor(next() * USERS));
  const { rows } = await db.query<Sampled>(
    `SELECT u.id, u.username, (SELECT count(*)::int FROM friendships f WHERE f.user_id = u.id) AS degree
       FROM unnest($1::int[]) WITH ORDINALITY AS p(i, n) JOIN users u ON u.id = md5(p.i::text)::uuid
      ORDER BY p.n`,
    [picks],
  );
  return rows;
}

interface Latency {
  query: string;
  p50: number;
  p99: number;
  mean: number;
  meanRows: number;
  slowest: { ms: number; user: Sampled };
}

/** Time `run` once per sampled user, one at a time, after a warm-up on other users. */
async function measure(
  query: string,
  users: Sampled[],
  warmUp: Sampled[],
  run: (user: Sampled, i: number) => Promise<number>,
): Promise<Latency> {
  for (const [i, user] of warmUp.entries()) await run(user, i);
  const times: Array<{ ms: number; user: Sampled }> = [];
  let rows = 0;
  for (const [i, user] of users.entries()) {
    const start = performance.now();
    rows += await run(user, i);
    times.push({ ms: performance.now() - start, user });
  }
  times.sort((a, b) => a.ms - b.ms);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]?.ms ?? Number.NaN;
  const slowest = times.at(-1);
  if (!slowest) throw new Error("no users sampled");
  return {
    query,
    p50: at(0.5),
    p99: at(0.99),
    mean: times.reduce((sum, t) => sum + t.ms, 0) / times.length,
    meanRows: rows / times.length,
    slowest,
  };
}

/** EXPLAIN ANALYZE of the server's suggestions query for one user: planning and execution time, and the plan. */
async function explainSuggestions(db: Database, user: Sampled): Promise<{ planning: string; execution: string; plan: string[] }> {
  const { rows } = await db.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${SUGGESTIONS_SQL}`, [user.id, PAGE]);
  const lines = rows.map((row) => row["QUERY PLAN"]);
  const find = (label: string) =>
    lines
      .find((line) => line.startsWith(label))
      ?.slice(label.length)
      .trim() ?? "?";
  return { planning: find("Planning Time:"), execution: find("Execution Time:"), plan: lines };
}

/** Build the graph in a throwaway database on `backend`, time the queries, print the figures. */
export async function socialGraphFigures(backend: Backend): Promise<void> {
  progress(`social graph on ${backend}`);
  const database = await createThrowawayDatabase(backend);
  const db = await openDatabase({ DATABASE_URL: database.env.DATABASE_URL, dataDir: database.env.DATA_DIR });
  try {
    await migrateUp(db);
    const seeding = {
      users: await timed("users", () => db.query(SEED_USERS)),
      friendships: await timed("friendships", () => db.query(SEED_FRIENDSHIPS)),
      "requests + blocks": await timed("requests and blocks", async () => {
        await db.query(SEED_REQUESTS);
        await db.query(SEED_BLOCKS);
      }),
      analyze: await timed("analyze", () => db.query("ANALYZE")),
    };

    const { rows } = await db.query<{ users: number; rows: number; max_degree: number; requests: number; blocks: number }>(
      `SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM friendships) AS rows,
              (SELECT max(n)::int FROM (SELECT count(*) AS n FROM friendships GROUP BY user_id) d) AS max_degree,
              (SELECT count(*)::int FROM friend_requests WHERE status = 'pending') AS requests,
              (SELECT count(*)::int FROM user_blocks) AS blocks`,
    );
    const size = rows[0];
    if (!size) throw new Error("no graph size");

    const users = await sampleUsers(db, SAMPLE, 1);
    const warmUp = await sampleUsers(db, WARM_UP, 2);
    // Each search looks for a prefix of another sampled user's username, so prefixes follow the data.
    const prefixOf = (length: number) => (i: number) => (users[(i * 7 + 3) % users.length]?.username ?? "a").slice(0, length);
    const search = (length: number) => async (user: Sampled, i: number) =>
      (await searchUsers(db, user.id, { q: prefixOf(length)(i), limit: PAGE }))?.items.length ?? 0;
    const figures = [
      await measure("suggestions", users, warmUp, async (user) => (await suggestFriends(db, user.id, PAGE)).length),
      await measure("search, 1-letter prefix", users, warmUp, search(1)),
      await measure("search, 2-letter prefix", users, warmUp, search(2)),
      await measure("search, 3-letter prefix", users, warmUp, search(3)),
    ];

    const median = [...users].sort((a, b) => a.degree - b.degree)[Math.floor(users.length / 2)] ?? users[0];
    const slowest = figures[0]?.slowest.user;
    if (!median || !slowest) throw new Error("no users sampled");
    const typical = await explainSuggestions(db, median);
    const worst = await explainSuggestions(db, slowest);

    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    console.log(
      `\nSocial graph on ${backend}: ${size.users.toLocaleString("en")} users, ${size.rows.toLocaleString("en")} friendship rows`,
    );
    console.log(
      `  average degree ${(size.rows / size.users).toFixed(1)} friends, max ${size.max_degree}; ` +
        `${size.requests.toLocaleString("en")} pending requests, ${size.blocks.toLocaleString("en")} blocks`,
    );
    console.log(
      `  seeding: ${Object.entries(seeding)
        .map(([phase, ms]) => `${phase} ${seconds(ms)} s`)
        .join(", ")}; total ${seconds(Object.values(seeding).reduce((a, b) => a + b, 0))} s\n`,
    );
    console.log(`${users.length} sampled users, one query at a time after a warm-up on ${warmUp.length} others; page size ${PAGE}`);
    console.table(
      figures.map((f) => ({
        query: f.query,
        "p50 ms": f.p50.toFixed(2),
        "p99 ms": f.p99.toFixed(2),
        "mean ms": f.mean.toFixed(2),
        "max ms": f.slowest.ms.toFixed(2),
        "mean rows": f.meanRows.toFixed(1),
      })),
    );
    console.log(`\nEXPLAIN ANALYZE of suggestions for the median user (${median.degree} friends):`);
    console.log(`  planning ${typical.planning}, execution ${typical.execution}`);
    console.log(`EXPLAIN ANALYZE of suggestions for the slowest sampled user (${slowest.degree} friends):`);
    console.log(`  planning ${worst.planning}, execution ${worst.execution}`);
    // The whole plan is long; what matters is whether any step reads a whole table.
    const scans = worst.plan.filter((line) => line.includes("Seq Scan"));
    console.log(
      scans.length === 0 ? "  no sequential scans in its plan" : `  sequential scans:\n${scans.map((l) => `    ${l.trim()}`).join("\n")}`,
    );
  } finally {
    await db.close();
    await database.drop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const backend: Backend = process.env.BENCH_BACKEND === "pglite" ? "pglite" : "postgres";
  await socialGraphFigures(backend);
  process.exit(0);
}
