import { describe, expect, it } from "vitest";
import { type AdmissionFacts, admit } from "../../server/messages/admission.ts";

/** Facts of an ordinary write: one new text message, nothing wrong with it. */
function facts(overrides: Partial<AdmissionFacts> = {}): AdmissionFacts & { rateCounted: () => number } {
  let counted = 0;
  return {
    readOnly: false,
    filtered: null,
    messageIdTakenElsewhere: false,
    attachmentProblem: null,
    newMessages: 1,
    countRate: () => {
      counted++;
      return { action: "accept" };
    },
    ...overrides,
    rateCounted: () => counted,
  };
}

describe("the admission decision both write paths make", () => {
  it("accepts an ordinary message, counting it once", () => {
    const f = facts();
    expect(admit(f)).toEqual({ action: "accept", delayMs: 0 });
    expect(f.rateCounted()).toBe(1);
  });

  it("refuses in a fixed order with one code per rule, and counts nothing it refuses", () => {
    const cases: Array<[Partial<AdmissionFacts>, string]> = [
      [{ readOnly: true, filtered: { code: "content_blocked", message: "no" } }, "blocked"],
      [{ filtered: { code: "link_blocked", message: "no links" }, messageIdTakenElsewhere: true }, "link_blocked"],
      [{ messageIdTakenElsewhere: true, attachmentProblem: "not yours" }, "message_id_taken"],
      [{ attachmentProblem: "not yours" }, "attachment_invalid"],
    ];
    for (const [overrides, code] of cases) {
      const f = facts(overrides);
      expect(admit(f)).toMatchObject({ action: "refuse", code });
      expect(f.rateCounted()).toBe(0);
    }
  });

  it("paces a burst with a delay and refuses a flood with Retry-After", () => {
    expect(admit(facts({ countRate: () => ({ action: "delay", ms: 250 }) }))).toEqual({ action: "accept", delayMs: 250 });
    expect(admit(facts({ countRate: () => ({ action: "refuse", retryAfterSeconds: 40 }) }))).toEqual({
      action: "refuse",
      code: "rate_limited",
      message: "Too many messages: wait 40 s.",
      retryAfterSeconds: 40,
    });
  });

  it("does not count an update that makes no new message (an edit, a reaction, a read marker)", () => {
    const f = facts({ newMessages: 0 });
    expect(admit(f)).toEqual({ action: "accept", delayMs: 0 });
    expect(f.rateCounted()).toBe(0);
  });
});
