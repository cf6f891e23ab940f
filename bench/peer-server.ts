import { Database } from "@hocuspocus/extension-database";
import { Server } from "@hocuspocus/server";
import pg from "pg";

/**
 * The peer the benchmark must beat: stock Hocuspocus with @hocuspocus/extension-database on the
 * same PostgreSQL, as its docs set it up (the whole document stored on each debounced save, no
 * auth, no validation, no sequencing). DATABASE_URL names the database; prints its port on stdout.
 */
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
await pool.query("CREATE TABLE IF NOT EXISTS peer_documents (name text PRIMARY KEY, data bytea NOT NULL)");

const server = new Server({
  port: 0,
  address: "127.0.0.1",
  quiet: true,
  extensions: [
    new Database({
      fetch: async ({ documentName }) => {
        const { rows } = await pool.query<{ data: Buffer }>("SELECT data FROM peer_documents WHERE name = $1", [documentName]);
        return rows[0] ? new Uint8Array(rows[0].data) : null;
      },
      store: async ({ documentName, state }) => {
        await pool.query("INSERT INTO peer_documents (name, data) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data", [
          documentName,
          state,
        ]);
      },
    }),
  ],
});
await server.listen();
console.log(JSON.stringify({ port: server.address.port }));
process.once("SIGTERM", async () => {
  await server.destroy();
  await pool.end();
  process.exit(0);
});
