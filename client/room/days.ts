import type { TimelineRow } from "./timeline.ts";

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
