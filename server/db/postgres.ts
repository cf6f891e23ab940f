import pg from "pg";
import type { Database, Queryable } from "./database.ts";

// int8 (bigint) columns hold sequence numbers and update ids well below 2^53: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

// While PostgreSQL restarts, a connection attempt may hang rather than be refused: give up after
// this, so a request answers 503 (server/db/unavailable.ts) instead of waiting without end.
const CONNECT_TIMEOUT_MS = 5_000;

/** A real PostgreSQL server through a `pg` connection pool. */
export function openPostgres(connectionString: string): Database {
  const pool = new pg.Pool({ connectionString, max: 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  return {
    kind: "postgres",
    query: (sql, params) => pool.query(sql, params as unknown[]) as never,
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(work) {
      const client = await pool.connect();
      // pg-pool drops its idle error listener while a client is checked out: without one of ours,
      // a connection lost mid-transaction (PostgreSQL restarting) is an unhandled 'error' event,
      // which ends the process. The query in flight rejects by itself; the client is then discarded.
      let lost: Error | undefined;
      const onError = (error: Error) => {
        lost = error;
      };
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const tx: Queryable = {
          query: (sql, params) => client.query(sql, params as unknown[]) as never,
          exec: async (sql) => {
            await client.query(sql);
          },
        };
        const result = await work(tx);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch((rollbackError: Error) => {
          lost ??= rollbackError;
        });
        throw error;
      } finally {
        client.off("error", onError);
        // A client whose connection failed goes, not back into the pool.
        client.release(lost);
      }
    },
    close: () => pool.end(),
  };
}
