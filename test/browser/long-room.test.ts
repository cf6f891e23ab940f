import type { Browser, Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, signUp } from "../helpers/api-client.ts";
import { createThrowawayDatabase, type ThrowawayDatabase } from "../helpers/backends.ts";
import { browserSuiteGate, launchChromium, Screenshots } from "../helpers/browser.ts";
import { ChatUser, eventually, reportFailures } from "../helpers/chat-app.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { buildWebApp } from "../helpers/web-build.ts";

const PASSWORD = "correct horse battery";
const SCENARIO_TIMEOUT_MS = 300_000;
const ROOM = "Club archive";
const HISTORY = 3_000;
// Messages written at once while seeding: the server takes them in any order within a batch.
const SEED_BATCH = 50;
// Rows a windowed log may hold: the view and a margin each side, far below the room's size
// (and below the 100 a page shows, so the bound is windowing's, not paging's).
const MAX_ROWS_IN_DOM = 80;

const gate = browserSuiteGate("long-room");

/** The ids of the room's messages people wrote (no system lines), oldest first, read over REST page by page. */
async function writtenMessageIds(api: ApiClient, roomId: string): Promise<string[]> {
  const ids: string[] = [];
  let before: string | null = null;
  do {
    const page: { body: { items: Array<{ id: string; message_type: string }>; next_cursor: string | null } } = await api.get(
      `/api/v1/chat/messages/${roomId}?limit=100${before ? `&before=${before}` : ""}`,
    );
    ids.unshift(...page.body.items.filter((m) => m.message_type !== "system").map((m) => m.id));
    before = page.body.next_cursor;
  } while (before);
  return ids;
}

/** What the log holds now: the message articles in the DOM (top to bottom) and the first one inside the view. */
const logRows = (log: Locator) =>
  log.evaluate((el) => {
    const view = el.getBoundingClientRect();
    const rows = [...el.querySelectorAll<HTMLElement>('article[id^="m-"]')];
    const topmost = rows.find((row) => row.getBoundingClientRect().bottom > view.top + 1);
    return { ids: rows.map((row) => row.id.slice(2)), topmost: topmost?.id.slice(2) ?? null };
  });

/** Whether the row of message `id` lies wholly inside the log's view. */
const inView = (log: Locator, id: string) =>
  log.evaluate((el, rowId) => {
    const row = el.querySelector(`#m-${CSS.escape(rowId)}`);
    if (!row) return false;
    const box = row.getBoundingClientRect();
    const view = el.getBoundingClientRect();
    return box.top >= view.top - 1 && box.bottom <= view.bottom + 1;
  }, id);

/**
 * A room with thousands of messages: the log is windowed, so it opens at the newest with only the
 * rows near the view in the DOM, and scrolling back a screen at a time passes every message once,
 * in order, up to the very first.
 */
describe.runIf(gate.run)("a long room in Chromium", () => {
  let database: ThrowawayDatabase | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  const users: ChatUser[] = [];

  beforeAll(async () => {
    gate.assertAvailable();
    buildWebApp();
    database = await createThrowawayDatabase("postgres");
    // The scene writes 3,000 messages at once over REST.
    server = await spawnServer({ ...database.env, UNSAFE_SKIP_MESSAGE_RATE_LIMITS: "true" });
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await database?.drop();
  });

  it(
    "opens 3,000 messages at the newest with only the rows near the view in the DOM, and scrolls back through every one, in order, to the first",
    async (context) => {
      if (!browser || !server) throw new Error("no browser");
      const shots = new Screenshots("long-room");
      reportFailures(context, shots, users);
      const ana = await ChatUser.open(browser, server.url, "ana", "Ana Lima");
      users.push(ana);
      await ana.signUp(PASSWORD);
      const api = await ana.api();
      const ben = await signUp(server.url, "Ben");
      const roomId = (await api.post("/api/v1/chat/rooms", { type: "group", name: ROOM, participant_ids: [ben.id] })).body.id as string;
      for (let n = 1; n <= HISTORY; n += SEED_BATCH) {
        const sent = await Promise.all(
          Array.from({ length: Math.min(SEED_BATCH, HISTORY - n + 1) }, (_, i) =>
            // Both write, so the log holds mine (with ticks) and theirs.
            ((n + i) % 2 === 0 ? ben.api : api).post(`/api/v1/chat/messages/${roomId}`, { content: `Archive entry ${n + i}` }),
          ),
        );
        expect(sent.every((response) => response.status === 201)).toBe(true);
      }
      // The order the room keeps (the server's), which the log must show.
      const expected = await writtenMessageIds(api, roomId);
      expect(expected.length).toBe(HISTORY);
      const position = new Map(expected.map((id, index) => [id, index]));
      const first = expected[0] as string;
      const newest = expected.at(-1) as string;

      await ana.openRoom(ROOM);
      const log = ana.messageLog();
      await eventually(async () => inView(log, newest), "the newest message in view");
      await shots.take(ana.page, "opened-at-the-newest");
      expect((await logRows(log)).ids.length).toBeLessThanOrEqual(MAX_ROWS_IN_DOM);

      // Back a screen at a time with the mouse wheel, as a reader would.
      const box = await log.boundingBox();
      if (!box) throw new Error("the log has no box");
      await ana.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const seen = new Set<string>();
      let topmost = expected.length;
      for (let step = 0; !(await inView(log, first)); step++) {
        expect(step).toBeLessThan(expected.length);
        const rows = await logRows(log);
        // What the DOM holds is a run of consecutive messages in the room's order: none missing, none twice.
        const at = rows.ids.map((id) => position.get(id) ?? -1);
        expect(at[0]).toBeGreaterThanOrEqual(0);
        expect(at).toEqual(at.map((_, i) => (at[0] as number) + i));
        expect(at.length).toBeLessThanOrEqual(MAX_ROWS_IN_DOM);
        for (const id of rows.ids) seen.add(id);
        topmost = position.get(rows.topmost ?? "") ?? topmost;
        const before = topmost;
        await ana.page.mouse.wheel(0, -box.height * 0.8);
        await eventually(async () => {
          const now = await logRows(log);
          const top = position.get(now.topmost ?? "");
          return (top !== undefined && top < before) || (await inView(log, first));
        }, `the log to scroll back from message ${before}`);
      }
      for (const id of (await logRows(log)).ids) seen.add(id);
      await shots.take(ana.page, "reached-the-first");
      // Every message passed through the view on the way up, and the DOM still holds only a window.
      expect(seen.size).toBe(expected.length);
      expect((await logRows(log)).ids.length).toBeLessThanOrEqual(MAX_ROWS_IN_DOM);
      expect(await ana.page.getByRole("button", { name: "Load older messages" }).count()).toBe(0);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
