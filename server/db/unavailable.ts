// Socket errors of a connection that could not be made or was lost (Node's `code`).
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT"]);

// SQLSTATEs of a server going away or not yet there: class 08 (connection exception) is matched by
// its prefix; 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up).
const SHUTDOWN_STATES = new Set(["57P01", "57P02", "57P03"]);

// pg's own wording when the socket under a client ends ("Connection terminated unexpectedly",
// "... due to connection timeout"), when a client that lost it is used again, or when the pool
// could not hand out a connection in time.
const PG_LOST_CONNECTION = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/;

/**
 * True when `error` says the database cannot be reached right now (refused, reset, timed out,
 * shutting down, starting up), as opposed to a query it refused: the caller should retry later,
 * and REST answers 503 with Retry-After instead of a 500. Looks through `cause` and, for the
 * AggregateError Node gives when every address of a host refused, through `errors`.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return unavailable(error, 0);
}

function unavailable(error: unknown, depth: number): boolean {
  if (depth > 4 || typeof error !== "object" || error === null) return false;
  const { code, message, cause, errors } = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string" && (SOCKET_CODES.has(code) || SHUTDOWN_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) {
    return true;
  }
  if (typeof message === "string" && PG_LOST_CONNECTION.test(message)) return true;
  if (Array.isArray(errors) && errors.some((e) => unavailable(e, depth + 1))) return true;
  return unavailable(cause, depth + 1);
}

/**
 * How long work waits for an unreachable database (PostgreSQL restarting) before it fails:
 * meanwhile nothing is acknowledged, and the work goes on as soon as the database is back.
 */
export const OUTAGE_HOLD_MS = 30_000;

/**
 * Run `work`, and run it again after a pause that doubles (0.1 s to 2 s) while it fails because
 * the database cannot be reached, for at most OUTAGE_HOLD_MS; `onWaiting` is told of each such
 * failure. Only for work that may run twice (reads, or a transaction that failed whole).
 */
export async function whenReachable<T>(work: () => Promise<T>, onWaiting: (error: unknown) => void = () => {}): Promise<T> {
  const since = Date.now();
  for (let pause = 100; ; pause = Math.min(pause * 2, 2_000)) {
    try {
      return await work();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() - since > OUTAGE_HOLD_MS) throw error;
      onWaiting(error);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
