import { describe, expect, it } from "vitest";
import { mentions } from "../../server/push/mentions.ts";
import { previewOf, type RoomRecipient, roomNotificationFor } from "../../server/push/room-notification.ts";
import type { AcceptedMessage } from "../../server/sync/room-writer.ts";

const BEN = "00000000-0000-7000-8000-00000000000b";
const ANA = "00000000-0000-7000-8000-00000000000a";
const EVE = "00000000-0000-7000-8000-00000000000e";

const ben = (overrides: Partial<RoomRecipient> = {}): RoomRecipient => ({
  user_id: BEN,
  username: "ben.k",
  is_muted: false,
  messages: true,
  mentions: true,
  blocked_sender_ids: [],
  ...overrides,
});
let seq = 0;
const message = (sender_id: string, content: string, type: AcceptedMessage["type"] = "text"): AcceptedMessage => ({
  id: `m${++seq}`,
  seq,
  sender_id,
  type,
  content,
  deleted: false,
});

describe("mentions", () => {
  it("finds @username case-insensitively, not inside a longer name or an e-mail address", () => {
    expect(mentions("hi @ben.k", "ben.k")).toBe(true);
    expect(mentions("@BEN.K, you in?", "ben.k")).toBe(true);
    expect(mentions("thanks @ben.k.", "ben.k")).toBe(true);
    expect(mentions("hi @ben.kay", "ben.k")).toBe(false);
    expect(mentions("hi @ben.k_2", "ben.k")).toBe(false);
    expect(mentions("mail x@ben.k", "ben.k")).toBe(false);
    expect(mentions("ben.k", "ben.k")).toBe(false);
  });
});

describe("roomNotificationFor", () => {
  it("counts others' messages and keeps the latest as the preview", () => {
    const got = roomNotificationFor(ben(), [message(ANA, "one"), message(BEN, "mine"), message(ANA, "two")]);
    expect(got).toEqual({ kind: "message", count: 2, sender_id: ANA, preview: "two" });
  });

  it("ignores my own messages, system lines and people I blocked", () => {
    expect(
      roomNotificationFor(ben({ blocked_sender_ids: [EVE] }), [message(BEN, "mine"), message(EVE, "hey"), message(ANA, "", "system")]),
    ).toBeNull();
  });

  it("in a muted room counts only the mentions", () => {
    expect(roomNotificationFor(ben({ is_muted: true }), [message(ANA, "chatter")])).toBeNull();
    const got = roomNotificationFor(ben({ is_muted: true }), [message(ANA, "chatter"), message(EVE, "@ben.k look")]);
    expect(got).toEqual({ kind: "mention", count: 1, sender_id: EVE, preview: "@ben.k look" });
  });

  it("a mention of someone who turned mentions off is an ordinary message, or nothing when muted", () => {
    expect(roomNotificationFor(ben({ mentions: false }), [message(ANA, "@ben.k look")])?.kind).toBe("message");
    expect(roomNotificationFor(ben({ mentions: false, is_muted: true }), [message(ANA, "@ben.k look")])).toBeNull();
  });
});

describe("previewOf", () => {
  it("labels media and shortens long text to one line", () => {
    expect(previewOf({ type: "image", content: null })).toBe("📷 Photo");
    expect(previewOf({ type: "location", content: "the track" })).toBe("📍 Location: the track");
    const long = previewOf({ type: "text", content: `a\n${"b".repeat(300)}` });
    expect(long).toHaveLength(140);
    expect(long.startsWith("a b")).toBe(true);
    expect(long.endsWith("…")).toBe(true);
  });
});
