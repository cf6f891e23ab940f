import { afterAll, beforeAll } from "vitest";
import { type RunningServer, startServer } from "../../server/app.ts";
import { loadConfig } from "../../server/config.ts";
import { createLogger } from "../../server/logger.ts";
import { type Backend, createThrowawayDatabase, type ThrowawayDatabase } from "./backends.ts";

/** A real server on port 0 over a throwaway database. */
export interface TestServer extends RunningServer {
  backend: Backend;
  wsUrl: string;
}

/** Start the real server in this process against `database`. */
export async function startTestServer(
  backend: Backend,
  database: ThrowawayDatabase,
  env: Record<string, string> = {},
): Promise<TestServer> {
  const config = loadConfig({
    ...database.env,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...env,
  });
  const server = await startServer(config, createLogger(config.LOG_LEVEL));
  return { ...server, backend, wsUrl: `ws://127.0.0.1:${server.port}/api/v1/chat/ws` };
}

/**
 * The suite's server: started before its tests on a new database of `backend`, stopped and the
 * database dropped after them, so a suite cannot leak either. Read `.server` inside tests.
 */
export function useTestServer(backend: Backend, env: Record<string, string> = {}): { server: TestServer; database: ThrowawayDatabase } {
  const holder = {} as { server: TestServer; database: ThrowawayDatabase };
  beforeAll(async () => {
    holder.database = await createThrowawayDatabase(backend);
    holder.server = await startTestServer(backend, holder.database, env);
  });
  afterAll(async () => {
    await holder.server?.stop();
    await holder.database?.drop();
  });
  return holder;
}
