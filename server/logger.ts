import { pino } from "pino";

/** Structured JSON logs (pino); pipe through `pino-pretty` to read them by eye. */
export function createLogger(level: string) {
  return pino({ level, base: { service: "chat" } });
}

export type Logger = ReturnType<typeof createLogger>;
