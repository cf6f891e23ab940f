import type { MessageRow, TimelineRow } from "./timeline.ts";

/** A timeline row, or the separator above the first message of a day. */
export type DayRow = TimelineRow | { kind: "day"; label: string; key: string };

const DAY_MS = 86_400_000;

const localDay = (date: Date) => new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();

/** "Today", "Yesterday", a weekday within the week, else the date: how chat apps name a day. */
export function dayLabel(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "Earlier";
  const days = Math.round((localDay(now) - localDay(date)) / DAY_MS);
  if (days <= 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days < 7) return date.toLocaleDateString([], { weekday: "long" });
  const sameYear = date.getFullYear() === now.getFullYear();
  return date.toLocaleDateString([], { day: "numeric", month: "long", ...(sameYear ? {} : { year: "numeric" }) });
}

/** `rows` with a day separator before the first message of each day (the local day it was written). */
export function withDays(rows: readonly TimelineRow[], now = new Date()): DayRow[] {
  const out: DayRow[] = [];
  let last: number | null = null;
  for (const row of rows) {
    if (row.kind === "message") {
      const date = new Date(row.message.created_at);
      const day: number | null = Number.isNaN(date.getTime()) ? last : localDay(date);
      if (day !== null && day !== last) {
        out.push({ kind: "day", label: dayLabel(row.message.created_at, now), key: `day-${day}` });
        last = day;
      }
    }
    out.push(row);
  }
  return out;
}

/** One day of a windowed log: its heading and how many of the messages that follow belong to it. */
export type DayGroup = { label: string; key: string; count: number };

/** A message of a windowed log, with whether the "New messages" divider goes above it. */
export type LogItem = MessageRow & { unreadAbove: boolean };

/**
 * `rows` as a windowed list wants them: one item per message (so an item's index is its message's),
 * in groups of a day each whose heading the list keeps in view. The unread divider rides on the
 * message below it.
 */
export function groupByDay(rows: readonly TimelineRow[], now = new Date()): { days: DayGroup[]; items: LogItem[] } {
  const days: DayGroup[] = [];
  const items: LogItem[] = [];
  let day: DayGroup | null = null;
  let unreadAbove = false;
  for (const row of withDays(rows, now)) {
    if (row.kind === "unread_divider") unreadAbove = true;
    else if (row.kind === "day") {
      day = { label: row.label, key: row.key, count: 0 };
      days.push(day);
    } else {
      // Only a first message with no readable date comes before any heading.
      if (!day) {
        day = { label: "Earlier", key: "day-earlier", count: 0 };
        days.push(day);
      }
      day.count += 1;
      items.push({ ...row, unreadAbove });
      unreadAbove = false;
    }
  }
  return { days, items };
}
