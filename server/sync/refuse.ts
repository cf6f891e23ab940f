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

/** A refusal thrown from a hook: Hocuspocus closes the document with this code and reason. */
export class Refusal extends Error {
  readonly reason: ErrorCode;
  constructor(
    readonly code: number,
    reason: ErrorCode,
    message: string,
  ) {
    super(message);
    this.reason = reason;
  }
}
