import { describe, expect, it } from "vitest";
import { dayLabel, groupByDay, withDays } from "../../client/room/days.ts";
import type { TimelineRow } from "../../client/room/timeline.ts";
import { linkParts } from "../../client/ui/LinkedText.tsx";
import { signupFieldErrors } from "../../client/ui/signup-errors.ts";
import { searchWords } from "../../shared/api/search.ts";
import type { MessageView } from "../../shared/room-doc/index.ts";

describe("links in message text", () => {
  it("finds web addresses, emails and phone numbers, and leaves the rest as text", () => {
    expect(linkParts("See https://example.org/a?b=1, mail coach@example.org or call +44 20 7946 0958.")).toEqual([
      { kind: "text", text: "See " },
      { kind: "link", text: "https://example.org/a?b=1", href: "https://example.org/a?b=1" },
      { kind: "text", text: ", mail " },
      { kind: "link", text: "coach@example.org", href: "mailto:coach@example.org" },
      { kind: "text", text: " or call " },
      { kind: "link", text: "+44 20 7946 0958", href: "tel:+442079460958" },
      { kind: "text", text: "." },
    ]);
  });

  it("never links a script scheme, nor a short number, a time or a date", () => {
    expect(linkParts("javascript:alert(1) at 19:30 on 2026-12-01, 5k in 19:59").every((p) => p.kind === "text")).toBe(true);
    expect(linkParts("<a href=x>not html</a>")).toEqual([{ kind: "text", text: "<a href=x>not html</a>" }]);
  });

  it("keeps digits inside a link part of the link", () => {
    expect(linkParts("https://example.org/runs/2026120112345")).toEqual([
      { kind: "link", text: "https://example.org/runs/2026120112345", href: "https://example.org/runs/2026120112345" },
    ]);
  });
});

describe("day separators", () => {
  const now = new Date(2026, 11, 2, 10, 0);
  it("names today, yesterday, a weekday within the week, else the date", () => {
    expect(dayLabel(new Date(2026, 11, 2, 0, 5).toISOString(), now)).toBe("Today");
    expect(dayLabel(new Date(2026, 11, 1, 23, 59).toISOString(), now)).toBe("Yesterday");
    expect(dayLabel(new Date(2026, 10, 28).toISOString(), now)).toBe(new Date(2026, 10, 28).toLocaleDateString([], { weekday: "long" }));
    expect(dayLabel(new Date(2025, 0, 5).toISOString(), now)).toContain("2025");
  });

  it("puts one separator before the first message of each day", () => {
    const row = (id: string, at: Date): TimelineRow => ({
      kind: "message",
      message: { id, created_at: at.toISOString() } as MessageView,
      state: null,
    });
    const rows = withDays(
      [
        row("a", new Date(2026, 11, 1, 9)),
        row("b", new Date(2026, 11, 1, 22)),
        { kind: "unread_divider" },
        row("c", new Date(2026, 11, 2, 8)),
      ],
      now,
    );
    expect(rows.map((r) => (r.kind === "day" ? r.label : r.kind === "message" ? r.message.id : "new"))).toEqual([
      "Yesterday",
      "a",
      "b",
      "new",
      "Today",
      "c",
    ]);
  });

  it("groups a windowed log's messages by day, one item per message, the unread divider on the message below it", () => {
    const row = (id: string, at: Date): TimelineRow => ({
      kind: "message",
      message: { id, created_at: at.toISOString() } as MessageView,
      state: null,
    });
    const { days, items } = groupByDay(
      [
        row("a", new Date(2026, 11, 1, 9)),
        row("b", new Date(2026, 11, 1, 22)),
        { kind: "unread_divider" },
        row("c", new Date(2026, 11, 2, 8)),
        row("d", new Date(2026, 11, 2, 9)),
      ],
      now,
    );
    expect(days.map((d) => [d.label, d.count])).toEqual([
      ["Yesterday", 2],
      ["Today", 2],
    ]);
    expect(items.map((i) => (i.unreadAbove ? `new ${i.message.id}` : i.message.id))).toEqual(["a", "b", "new c", "d"]);
  });
});

describe("sign-up errors", () => {
  it("says what is wrong with each field in words, with the server's rules", () => {
    expect(signupFieldErrors({ username: "a b", password: "short" })).toEqual({
      username: "Use only letters, digits, dots, dashes and underscores, with no spaces.",
      password: "Use at least 8 characters for your password.",
    });
    expect(signupFieldErrors({ username: "an", password: "long enough" })).toEqual({
      username: "Choose a username of at least 3 characters.",
    });
    expect(signupFieldErrors({ username: "ana", password: "long enough" })).toEqual({});
  });
});

describe("search words", () => {
  it("splits on anything but letters and digits of any script, lowercased, each once", () => {
    expect(searchWords("River-loop, río RIVER 8!")).toEqual(["river", "loop", "río", "8"]);
    expect(searchWords("!!! ...")).toEqual([]);
  });
});
