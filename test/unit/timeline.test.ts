import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { buildTimeline, unreadFrom, waitingCount } from "../../client/room/timeline.ts";
import { newId } from "../../shared/ids.ts";
import { allMessages, assignSequenceNumbers, sendMessage } from "../../shared/room-doc/index.ts";

const ana = "0190c000-0000-7000-8000-00000000000a";
const ben = "0190c000-0000-7000-8000-00000000000b";

/** A room where the server accepted `accepted` messages, then ana wrote `pending` offline. */
function room(accepted: Array<[string, string]>, pending: string[] = []) {
  const server = new Y.Doc();
  for (const [sender, content] of accepted) {
    sendMessage(server, { id: newId(), sender_id: sender, content });
    assignSequenceNumbers(server);
  }
  const mine = new Y.Doc();
  Y.applyUpdate(mine, Y.encodeStateAsUpdate(server));
  for (const content of pending) sendMessage(mine, { id: newId(), sender_id: ana, content });
  return allMessages(mine);
}

const rows = (timeline: ReturnType<typeof buildTimeline>) =>
  timeline.map((r) => (r.kind === "unread_divider" ? "--- new ---" : `${r.message.content}${r.state ? ` [${r.state}]` : ""}`));

describe("a room's timeline", () => {
  it("shows accepted messages by sequence, then mine that wait, in the order I wrote them", () => {
    const messages = room(
      [
        [ben, "one"],
        [ana, "two"],
      ],
      ["offline a", "offline b"],
    );
    expect(rows(buildTimeline(messages, ana, null, 0))).toEqual(["one", "two [saved]", "offline a [waiting]", "offline b [waiting]"]);
    expect(waitingCount(messages, ana)).toBe(2);
  });

  it("marks my messages seen once someone else's marker reaches them", () => {
    const messages = room([
      [ana, "first"],
      [ana, "second"],
    ]);
    expect(rows(buildTimeline(messages, ana, null, 1))).toEqual(["first [seen]", "second [saved]"]);
  });

  it("puts the divider above the first unread message from someone else, and none when nothing was unread", () => {
    const messages = room([
      [ben, "read"],
      [ana, "mine"],
      [ben, "unread 1"],
      [ben, "unread 2"],
    ]);
    expect(unreadFrom(messages, ana, 2)).toBe(2);
    expect(rows(buildTimeline(messages, ana, unreadFrom(messages, ana, 2), 0))).toEqual([
      "read",
      "mine [saved]",
      "--- new ---",
      "unread 1",
      "unread 2",
    ]);
    expect(unreadFrom(messages, ana, 4)).toBeNull();
    expect(rows(buildTimeline(messages, ana, null, 0))).not.toContain("--- new ---");
  });
});
