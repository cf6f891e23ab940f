import { startServer } from "./app.ts";
import { loadConfig } from "./config.ts";
import { createLogger } from "./logger.ts";

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);

// A rejected promise nobody awaited is a bug to fix, not a reason to drop every connection.
process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled rejection"));

try {
  const server = await startServer(config, logger);
  const shutdown = async (signal: string) => {
    logger.info({ signal }, "shutting down");
    await server.stop();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
} catch (error) {
  logger.fatal({ err: error }, error instanceof Error ? error.message : "could not start");
  process.exit(1);
}
