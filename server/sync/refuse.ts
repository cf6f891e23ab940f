import * as encoding from "lib0/encoding";
import type { ErrorCode } from "../../shared/errors.ts";
import type { RefusedMessage } from "../../shared/protocol.ts";

// Hocuspocus message type of a stateless message (packages/server/src/types.ts MessageType).
const STATELESS_MESSAGE = 5;

/** The JSON of the design's `refused` stateless message. */
export function refusedPayload(code: ErrorCode, message: string): string {
  const body: RefusedMessage = { type: "refused", code, message };
  return JSON.stringify(body);
}

/**
 * Encode a stateless message addressed to one document, for a socket that has no Hocuspocus
 * connection for it yet (refusals during authentication).
 */
export function encodeStateless(documentName: string, payload: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, documentName);
  encoding.writeVarUint(encoder, STATELESS_MESSAGE);
  encoding.writeVarString(encoder, payload);
  return encoding.toUint8Array(encoder);
}

/**
 * A refusal thrown from a hook: Hocuspocus closes the document with this code and reason.
 * Whoever throws it has already logged it as one structured line. Its Error message stays empty
 * because Hocuspocus' hook runner prints the message of every rejection it sees; the words for
 * the client are in `detail`.
 */
export class Refusal extends Error {
  override readonly name = "Refusal";
  readonly reason: ErrorCode;
  readonly detail: string;
  constructor(
    readonly code: number,
    reason: ErrorCode,
    detail: string,
  ) {
    super("");
    this.reason = reason;
    this.detail = detail;
  }
}

let refusalsSilenced = false;

/**
 * Hocuspocus prints every exception that closed a connection, stack trace and all, with
 * console.error (Connection.processMessages). A Refusal is no exception: it was logged where it
 * was decided. Drop Hocuspocus' print of one; everything else is printed as before, so an
 * unexpected error keeps its stack. Installed once per process, whatever number of servers run.
 */
export function silenceRefusalsOnConsole(): void {
  if (refusalsSilenced) return;
  refusalsSilenced = true;
  const print = console.error;
  console.error = (...args: unknown[]) => {
    if (args.some((arg) => arg instanceof Refusal)) return;
    print.apply(console, args);
  };
}
