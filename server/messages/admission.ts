import type { ErrorCode } from "../../shared/errors.ts";
import type { RateDecision } from "../sync/message-rate.ts";

/**
 * What the server knows about a write when it decides whether to take it, whichever door it came
 * through: the WebSocket gate fills these from the validator's verdict, the REST route from the
 * parsed body. Everything here is already looked up; `countRate` counts the write's messages (in
 * memory) and is called only when every other check passed, so a refused write costs no allowance.
 */
export interface AdmissionFacts {
  /** A direct room where one of the pair blocked the other. */
  readOnly: boolean;
  /** The content filter's first refusal of the text written, or null. */
  filtered: { code: "content_blocked" | "link_blocked"; message: string } | null;
  /** Another room already has a message with an id this write creates. */
  messageIdTakenElsewhere: boolean;
  /** Why an attachment cannot be carried (not the sender's upload, another message's, relabelled), or null. */
  attachmentProblem: string | null;
  /** How many new messages the write creates. */
  newMessages: number;
  countRate: () => RateDecision;
}

/** The codes a write may be refused with here, each in shared/errors.ts. */
export type AdmissionCode = Extract<
  ErrorCode,
  "blocked" | "content_blocked" | "link_blocked" | "message_id_taken" | "attachment_invalid" | "rate_limited"
>;

/** Take the write (after holding it `delayMs` to pace a burst), or refuse it with a code. */
export type Admission =
  | { action: "accept"; delayMs: number }
  | { action: "refuse"; code: AdmissionCode; message: string; retryAfterSeconds?: number };

/**
 * The one decision both write paths make (STYLE 13): the same rules, in the same order, with the
 * same codes. Each door only translates the answer: the gate into a `refused` message and a
 * closed room, the REST route into a 4xx (and a held response for a delay).
 */
export function admit(facts: AdmissionFacts): Admission {
  if (facts.readOnly) return { action: "refuse", code: "blocked", message: "This conversation is read-only." };
  if (facts.filtered) return { action: "refuse", ...facts.filtered };
  if (facts.messageIdTakenElsewhere) {
    return { action: "refuse", code: "message_id_taken", message: "Another room has a message with this id; make a new one." };
  }
  if (facts.attachmentProblem) return { action: "refuse", code: "attachment_invalid", message: facts.attachmentProblem };
  if (facts.newMessages === 0) return { action: "accept", delayMs: 0 };
  const rate = facts.countRate();
  switch (rate.action) {
    case "accept":
      return { action: "accept", delayMs: 0 };
    case "delay":
      return { action: "accept", delayMs: rate.ms };
    case "refuse":
      return {
        action: "refuse",
        code: "rate_limited",
        message: `Too many messages: wait ${rate.retryAfterSeconds} s.`,
        retryAfterSeconds: rate.retryAfterSeconds,
      };
    default:
      return assertNever(rate);
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled rate decision ${JSON.stringify(value)}`);
}
