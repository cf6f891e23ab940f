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
