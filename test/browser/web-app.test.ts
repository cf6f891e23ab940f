import type { Browser, Locator } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { createThrowawayDatabase, type ThrowawayDatabase } from "../helpers/backends.ts";
import { browserSuiteGate, launchChromium, Screenshots } from "../helpers/browser.ts";
import { bringOnline, ChatUser, eventually, reportFailures, takeOffline } from "../helpers/chat-app.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";
import { buildWebApp } from "../helpers/web-build.ts";

const PASSWORD = "correct horse battery";
const SCENARIO_TIMEOUT_MS = 180_000;
const GROUP = "Hill repeats";
const ARCHIVE = "Archive";
const HISTORY = 2_000;

const gate = browserSuiteGate("web-app");

/** The vertical position of `locator` on the page, or null when it has no box. */
const top = async (locator: Locator) => (await locator.boundingBox())?.y ?? null;

/** Whether `element` lies inside the visible part of the message log that holds it. */
const inLogView = (element: Locator) =>
  element.evaluate((el) => {
    const log = el.closest('[role="log"]');
    if (!log) return false;
    const box = el.getBoundingClientRect();
    const view = log.getBoundingClientRect();
    return box.top >= view.top - 1 && box.bottom <= view.bottom + 1;
  });

/**
 * What people expect of a chat app beyond the sync: field errors in words, links, ticks, days,
 * presence in a direct chat, confirmations before destructive actions, a removed member's
 * read-only history, search, long history that loads as you scroll, and the smaller touches
 * (docs/web-app.md). Ana, Ben and Cai, each in their own browser context at desktop size; Ben
 * reaches the server through a TCP proxy the test can sever. Scenarios build on each other, in order.
 */
describe.runIf(gate.run)("the web app's screens in Chromium", () => {
  let database: ThrowawayDatabase | undefined;
  let server: ServerProcess | undefined;
  let benProxy: TcpProxy | undefined;
  let browser: Browser | undefined;
  const users: ChatUser[] = [];
  const people = () => {
    const [ana, ben, cai] = users;
    if (!ana || !ben || !cai || !benProxy) throw new Error("this scenario needs Ana, Ben and Cai from the first one");
    return { ana, ben, cai, proxy: benProxy };
  };

  beforeAll(async () => {
    gate.assertAvailable();
    buildWebApp();
    database = await createThrowawayDatabase("postgres");
    // The long-history scene writes 2,000 messages at once over REST.
    server = await spawnServer({ ...database.env, UNSAFE_SKIP_MESSAGE_RATE_LIMITS: "true" });
    benProxy = await startTcpProxy(Number(new URL(server.url).port));
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await benProxy?.close();
    await server?.stop();
    await database?.drop();
  });

  const open = async (baseUrl: string, username: string, displayName: string) => {
    if (!browser) throw new Error("no browser");
    const user = await ChatUser.open(browser, baseUrl, username, displayName);
    users.push(user);
    return user;
  };
  const onFailure = (context: TestContext, shots: Screenshots) => reportFailures(context, shots, users);
  const dialog = (user: ChatUser, name: string) => user.page.getByRole("dialog", { name });

  it(
    "says what is wrong with a sign-up field next to it, in words; has a main landmark and a heading; marks a waiting request on Friends; search hits follow an accepted request; empty sections say so",
    async (context) => {
      if (!server || !benProxy) throw new Error("no server");
      const shots = new Screenshots("web-app-accounts");
      onFailure(context, shots);
      const ana = await open(server.url, "ana", "Ana Lima");
      const ben = await open(benProxy.url, "ben", "Ben Costa");
      const cai = await open(server.url, "cai", "Cai Wu");
      const { page } = ana;

      await page.getByRole("button", { name: "I have no account" }).click();
      await page.getByRole("textbox", { name: "Username" }).fill("ana lima");
      await page.getByLabel("Password").fill("short");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByText("Use at least 8 characters for your password.").waitFor();
      await page.getByText("Use only letters, digits, dots, dashes and underscores, with no spaces.").waitFor();
      expect(await page.getByLabel("Password").getAttribute("aria-invalid")).toBe("true");
      expect(await page.getByLabel("Password").getAttribute("aria-describedby")).toBe("password-error");
      expect(await page.getByText(/body\.|expected string|Too small/).count()).toBe(0);
      await shots.take(page, "sign-up-field-errors");
      await page.getByRole("button", { name: "I have an account" }).click();
      await ana.signUp(PASSWORD);
      await ben.signUp(PASSWORD);
      // A taken username is said next to the field too.
      await cai.page.getByRole("button", { name: "I have no account" }).click();
      await cai.page.getByRole("textbox", { name: "Username" }).fill("ana");
      await cai.page.getByLabel("Password").fill(PASSWORD);
      await cai.page.getByRole("button", { name: "Create account" }).click();
      await cai.page.getByText("That username is taken: try another.").waitFor();
      await cai.page.getByRole("button", { name: "I have an account" }).click();
      await cai.signUp(PASSWORD);

      await page.getByRole("main").waitFor();
      await page.getByRole("heading", { level: 1, name: "Crew chat" }).waitFor();
      await shots.take(page, "chats-empty");

      await ana.showFriends();
      await page.getByText("You have not blocked anyone.").waitFor();
      await page.getByText(/No suggestions yet/).waitFor();
      await shots.take(page, "friends-empty-sections");
      await ana.sendFriendRequest(ben, "Hill repeats on Sunday?");
      const benHit = page.getByRole("list", { name: "Search results" }).getByRole("listitem").filter({ hasText: "Ben Costa" });
      await benHit.getByText("Request sent").waitFor();

      // Ben's Friends tab says a request waits for him, without opening it.
      const friendsTab = ben.page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: "Friends", exact: true });
      await eventually(
        async () => (await friendsTab.getAttribute("aria-describedby")) === "requests-waiting",
        "Ben's Friends tab to show a request",
      );
      expect(await ben.page.locator("#requests-waiting").textContent()).toBe("1 friend request waiting");
      expect(await friendsTab.textContent()).toMatch(/^Friends\s*1$/);
      await shots.take(ben.page, "friends-tab-marks-a-waiting-request");
      await ben.acceptFriendRequest(ana);
      expect(await friendsTab.getAttribute("aria-describedby")).toBeNull();
      // Ana's search results learn of it without her searching again.
      await benHit.getByText("Friends", { exact: true }).waitFor();
      await shots.take(page, "search-hit-follows-the-accepted-request");

      await ana.sendFriendRequest(cai, "Join us");
      await cai.acceptFriendRequest(ana);
      await ben.sendFriendRequest(cai, "Hi Cai");
      await cai.acceptFriendRequest(ben);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "a direct chat shows the friend online or last seen, ticks for each message's state, day separators, links that open safely and never become HTML, the unread count in the tab title, and each message's actions on hover or from the keyboard",
    async (context) => {
      const shots = new Screenshots("web-app-direct");
      onFailure(context, shots);
      const { ana, ben, proxy } = people();
      await ana.openDirectChat(ben);
      const header = ana.page.locator(".room-header");
      await header.getByText("online", { exact: true }).waitFor();
      expect(await header.getByText(/Nobody else here/).count()).toBe(0);

      await ana.send("Hi Ben");
      await ana
        .message("Hi Ben")
        .getByRole("img", { name: /^(saved|seen)$/ })
        .waitFor();
      await ana.messageLog().getByRole("heading", { name: "Today" }).waitFor();
      const linked = "Route https://example.org/route?x=1 or mail coach@example.org, call +1 555 010 9999 <b>now</b>";
      await ana.send(linked);

      await ben.openRoom(ana.displayName);
      const message = ben.message("Route https://example.org");
      const web = message.getByRole("link", { name: "https://example.org/route?x=1" });
      expect(await web.getAttribute("href")).toBe("https://example.org/route?x=1");
      expect(await web.getAttribute("target")).toBe("_blank");
      expect(await web.getAttribute("rel")).toBe("noopener noreferrer");
      expect(await message.getByRole("link", { name: "coach@example.org" }).getAttribute("href")).toBe("mailto:coach@example.org");
      expect(await message.getByRole("link", { name: "+1 555 010 9999" }).getAttribute("href")).toBe("tel:+15550109999");
      expect(await message.locator("b").count()).toBe(0);
      expect(await message.textContent()).toContain("<b>now</b>");
      await shots.take(ben.page, "links");
      // Ben has the room open: Ana's message shows two coloured ticks, named "seen".
      await ana.message("Hi Ben").getByRole("img", { name: "seen" }).waitFor();
      await shots.take(ana.page, "ticks-and-days");

      // Away from the room, Ben's tab title counts what he has not read.
      await ben.showFriends();
      await ana.send("Are you coming?");
      await ana.send("Bring water");
      await eventually(async () => (await ben.page.title()) === "(2) Crew chat", "Ben's tab title to count two unread");
      await ben.openRoom(ana.displayName);
      await eventually(async () => (await ben.page.title()) === "Crew chat", "Ben's tab title to clear once read");

      // A message's actions are hidden until the pointer is on it, then reachable.
      const incoming = ana.message("Hi Ben");
      expect(await incoming.getByRole("button", { name: "Delete" }).isVisible()).toBe(false);
      await incoming.hover();
      await incoming.getByRole("button", { name: "Delete" }).waitFor();
      await shots.take(ana.page, "actions-on-hover");
      // The keyboard: the log is one tab stop (the newest message) besides the links in messages;
      // arrows move it; Tab reaches that message's actions.
      await ana.page.mouse.move(0, 0);
      const tabStops = await ana
        .messageLog()
        .evaluate(
          (log) =>
            [...log.querySelectorAll<HTMLElement>("button, a[href], [tabindex]")].filter(
              (el) => el.tabIndex >= 0 && el.offsetParent !== null,
            ).length,
        );
      expect(tabStops).toBe(4);
      await ana.messageLog().locator('article[tabindex="0"]').focus();
      for (let i = 0; i < 3; i++) await ana.page.keyboard.press("ArrowUp");
      expect(await incoming.evaluate((el) => el === document.activeElement)).toBe(true);
      await ana.page.keyboard.press("Tab");
      expect(await ana.page.evaluate(() => document.activeElement?.textContent?.trim())).toBe("Reply");
      await shots.take(ana.page, "actions-by-keyboard");

      // Ben leaves: Ana's header says when he was last seen. Ben, offline, does not claim Ana is online.
      await takeOffline(ben, proxy);
      await header.getByText(/^last seen/).waitFor();
      await shots.take(ana.page, "last-seen-in-the-header");
      await ben.showFriends();
      await ben.friendItem(ana).getByText("unknown while you are offline").waitFor();
      await shots.take(ben.page, "presence-unknown-offline");

      // Logging out with a message waiting, offline: it asks at once rather than waiting.
      await ben.openRoom(ana.displayName);
      await ben.send("Written in the tunnel");
      await ben.waitForMessageState("Written in the tunnel", "waiting");
      await ben.waitForConnection(/1 waiting/);
      let start = 0;
      const asked = new Promise<{ message: string; after: number }>((resolve, reject) => {
        setTimeout(() => reject(new Error("logging out did not ask within 10 s")), 10_000);
        ben.page.once("dialog", (d) => {
          resolve({ message: d.message(), after: Date.now() - start });
          void d.dismiss();
        });
      });
      await ben.backToList();
      start = Date.now();
      await ben.page.getByRole("button", { name: "Log out" }).click();
      const prompt = await asked;
      expect(prompt.message).toMatch(/1 message not yet sent/);
      expect(prompt.after).toBeLessThan(2_500);
      await bringOnline(ben, proxy);
      await ben.openRoom(ana.displayName);
      await ben.waitForMessageState("Written in the tunnel", "saved", "seen");
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "an admin removes a member after asking; the removed member is told who removed them and keeps the history up to then, read-only, also after a reload; the others keep the removed member's name",
    async (context) => {
      const shots = new Screenshots("web-app-removed-member");
      onFailure(context, shots);
      const { ana, ben, cai } = people();
      await ana.createGroup(GROUP, [ben, cai]);
      await cai.openRoom(GROUP);
      await cai.send("Cai here, ready");
      await ben.openRoom(GROUP);
      await ben.send("Ben too");
      await ana.message("Ben too").waitFor();
      await ana.send("Great, 6 x 200 m");
      await cai.message("Great, 6 x 200 m").waitFor();
      await ana.page.getByText(/Seen by .*Cai Wu/).waitFor();

      await ana.page.getByRole("button", { name: "Group settings" }).click();
      const settings = dialog(ana, "Group settings");
      await settings
        .getByRole("list", { name: "Members" })
        .getByRole("listitem")
        .filter({ hasText: "Cai Wu" })
        .getByRole("button", { name: "Remove" })
        .click();
      const ask = dialog(ana, `Remove Cai Wu from ${GROUP}?`);
      await ask.getByText(/keep what they saw/).waitFor();
      await shots.take(ana.page, "remove-member-asks-first");
      await ask.getByRole("button", { name: "Remove from group" }).click();
      await ask.waitFor({ state: "hidden" });
      await settings.getByRole("button", { name: "Close" }).click();

      await cai.page.getByText(`You were removed from ${GROUP} by Ana Lima`).waitFor();
      for (const text of ["Cai here, ready", "Ben too", "Great, 6 x 200 m"]) await cai.message(text).waitFor();
      expect(await cai.composer().count()).toBe(0);
      expect(await cai.page.getByText("No such room.").count()).toBe(0);
      await shots.take(cai.page, "removed-member-reads-history");

      for (const member of [ana, ben]) {
        await member.messageLog().getByText("Ana Lima removed Cai Wu").waitFor();
        expect(await member.message("Cai here, ready").getAttribute("aria-label")).toBe("Cai Wu: Cai here, ready");
      }
      await ana.page.getByText(/Seen by .*Cai Wu/).waitFor();
      await shots.take(ana.page, "others-keep-the-removed-name");
      // From the member directory, also after a reload (Cai is no longer in the room's member list).
      await ben.page.reload();
      await ben.openRoom(GROUP);
      await eventually(
        async () => (await ben.message("Cai here, ready").getAttribute("aria-label")) === "Cai Wu: Cai here, ready",
        "Ben to name Cai after a reload",
      );

      await cai.page.reload();
      await cai.showChats();
      await cai.roomItem(GROUP).getByText("You were removed").waitFor();
      await cai.openRoom(GROUP);
      await cai.message("Great, 6 x 200 m").waitFor();
      await cai.page.getByText(`You were removed from ${GROUP} by Ana Lima`).waitFor();
      expect(await cai.composer().count()).toBe(0);
      await shots.take(cai.page, "removed-member-after-reload");
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "deleting a message, removing a friend and blocking ask first and say what they do; a block leaves the list where it was; a blocked chat says it is read-only instead of offering Send again",
    async (context) => {
      const shots = new Screenshots("web-app-destructive");
      onFailure(context, shots);
      const { ana, ben, cai } = people();
      await ana.openRoom(GROUP);
      const mine = ana.message("Great, 6 x 200 m");
      await mine.hover();
      await mine.getByRole("button", { name: "Delete" }).click();
      const ask = dialog(ana, "Delete this message?");
      await ask.getByText(/deleted for everyone/).waitFor();
      await shots.take(ana.page, "delete-asks-first");
      await ask.getByRole("button", { name: "Cancel" }).click();
      await ask.waitFor({ state: "hidden" });
      expect(await mine.textContent()).toContain("Great, 6 x 200 m");
      await mine.hover();
      await mine.getByRole("button", { name: "Delete" }).click();
      await ask.getByRole("button", { name: "Delete for everyone" }).click();
      await ana.messageLog().getByText("This message was deleted").waitFor();

      await ana.showFriends();
      const caiBlock = ana.friendItem(cai).getByRole("button", { name: "Block" });
      const before = await top(caiBlock);
      await ana.friendItem(ben).getByRole("button", { name: "Remove" }).click();
      const remove = dialog(ana, "Remove Ben Costa from your friends?");
      await remove.getByText(/stay in the chats you share/).waitFor();
      await remove.getByRole("button", { name: "Cancel" }).click();
      await ana.friendItem(ben).getByRole("button", { name: "Block" }).click();
      const block = dialog(ana, "Block Ben Costa?");
      await block.getByText(/Block also ends your friendship/).waitFor();
      await shots.take(ana.page, "block-asks-first");
      await block.getByRole("button", { name: "Block", exact: true }).click();
      await ana.page.getByRole("list", { name: "Friends" }).getByText("You blocked Ben Costa").waitFor();
      await ana.page.getByRole("list", { name: "Blocked" }).getByText("Ben Costa").waitFor();
      // The blocked friend's row stayed: Cai's Block button is where it was, not under the pointer's old spot.
      expect(Math.abs(((await top(caiBlock)) ?? 0) - (before ?? 0))).toBeLessThan(1);
      await shots.take(ana.page, "after-a-block-the-list-stays");

      // Ben writes into the now read-only chat: the app says why, and offers no retry that cannot succeed.
      await ben.openRoom(ana.displayName);
      await ben.composer().fill("Did you block me?");
      await ben.composer().press("Enter");
      await ben.page.getByRole("alert").filter({ hasText: "This chat is read-only" }).waitFor();
      expect(await ben.page.getByRole("button", { name: "Send again" }).count()).toBe(0);
      expect(await ben.composer().count()).toBe(0);
      await shots.take(ben.page, "blocked-chat-is-read-only");
      await ana.openRoom(ben.displayName);
      await ana.composer().fill("Testing");
      await ana.composer().press("Enter");
      await ana.page
        .getByText(/read-only because you blocked Ben Costa/)
        .first()
        .waitFor();
      expect(await ana.page.getByRole("button", { name: "Send again" }).count()).toBe(0);
      await shots.take(ana.page, "blocker-is-told-why");
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "searches messages across rooms and in one room, and opens each result in its context",
    async (context) => {
      const shots = new Screenshots("web-app-search");
      onFailure(context, shots);
      const { ana, ben, cai } = people();
      await ana.openRoom(GROUP);
      await ana.send("Route: the river loop at 8");
      await ana.send("Then coffee");
      await cai.openDirectChat(ana);
      await cai.send("Fancy a river swim after?");

      await ana.showChats();
      await ana.page.getByRole("searchbox", { name: "Search all chats" }).fill("riv");
      const results = ana.page.getByRole("list", { name: "Message results" });
      await results.getByRole("button").filter({ hasText: "Fancy a river swim" }).waitFor();
      await results.getByRole("button").filter({ hasText: "the river loop" }).waitFor();
      expect(await results.getByRole("button").filter({ hasText: "Cai Wu ·" }).count()).toBe(1);
      expect(await results.locator("mark").first().textContent()).toBe("riv");
      await shots.take(ana.page, "search-all-chats");
      await results.getByRole("button").filter({ hasText: "the river loop" }).click();
      await ana.roomHeading(GROUP).waitFor();
      const found = ana.message("Route: the river loop at 8");
      await eventually(
        async () => found.evaluate((el) => el === document.activeElement && el.classList.contains("flash")),
        "the result shown and marked",
      );
      expect(await inLogView(found)).toBe(true);
      await shots.take(ana.page, "search-result-in-context");

      await ana.page.getByRole("button", { name: "Search in this chat" }).click();
      await ana.page.getByRole("searchbox", { name: "Search in this chat" }).fill("ready");
      const inRoom = ana.page.getByRole("list", { name: "Message results" });
      await inRoom.getByRole("button").filter({ hasText: "Cai here, ready" }).click();
      await eventually(
        async () => ana.message("Cai here, ready").evaluate((el) => el === document.activeElement),
        "the in-room result focused",
      );
      expect(await inLogView(ana.message("Cai here, ready"))).toBe(true);
      await shots.take(ana.page, "search-in-this-chat");
      expect(ben).toBeTruthy();
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "scrolling up through 2,000 messages loads older ones by itself and keeps the message being read in place",
    async (context) => {
      const shots = new Screenshots("web-app-long-history");
      onFailure(context, shots);
      const { ana, ben, cai } = people();
      const api = await ana.api();
      const others = [(await cai.api()).userId, (await ben.api()).userId];
      const roomId = (await api.post("/api/v1/chat/rooms", { type: "group", name: ARCHIVE, participant_ids: others })).body.id as string;
      const label = (n: number) => `Old message ${String(n).padStart(4, "0")}`;
      await api.post(`/api/v1/chat/messages/${roomId}`, { content: label(1) });
      for (let n = 2; n <= HISTORY; n += 20) {
        await Promise.all(
          Array.from({ length: Math.min(20, HISTORY - n + 1) }, (_, i) =>
            api.post(`/api/v1/chat/messages/${roomId}`, { content: label(n + i) }),
          ),
        );
      }
      await ana.openRoom(ARCHIVE);
      await ana
        .messageLog()
        .getByRole("article")
        .filter({ hasText: /Old message/ })
        .first()
        .waitFor();
      const log = ana.messageLog();
      // The number of the first "Old message" inside the view: what the reader has reached.
      const reached = () =>
        log.evaluate((el) => {
          const view = el.getBoundingClientRect();
          const top = [...el.querySelectorAll("article")].find((a) => a.getBoundingClientRect().bottom > view.top + 1);
          return Number(top?.textContent?.match(/Old message (\d+)/)?.[1] ?? Number.NaN);
        });
      const firstLoaded = async () =>
        (await log
          .getByRole("article")
          .filter({ hasText: label(1) })
          .count()) > 0;
      // Every load is made by scrolling alone: no button is pressed. The log is windowed, so what is
      // loaded shows as the reader's place being kept below a page that came above it.
      // The reader starts scrolling up with the wheel, as people do: the log lets go of the newest
      // message (a jump straight to the top while it is still placing the newest could be taken
      // back down by its opening).
      const start = await log.boundingBox();
      if (start) await ana.page.mouse.move(start.x + start.width / 2, start.y + start.height / 2);
      for (let i = 0; i < 2; i++) {
        await ana.page.mouse.wheel(0, -300);
        await eventually(
          async () => (await log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)) > 100 * (i + 1),
          "the reader to leave the newest message",
        );
      }
      let loads = 0;
      let before = await reached();
      while (!(await firstLoaded())) {
        await log.evaluate((el) => {
          el.scrollTop = 0;
        });
        await eventually(async () => (await log.evaluate((el) => el.scrollTop)) > 0 || (await firstLoaded()), "older messages to load");
        loads += 1;
        // The message the reader reached is still at the top of the view: one page back at most (the
        // seeding writes 20 at a time, in any order), not thrown up to the oldest just loaded.
        const now = await reached();
        if (await firstLoaded()) break;
        expect(now).toBeLessThan(before);
        expect(before - now).toBeLessThanOrEqual(100 + 20);
        before = now;
        expect(loads).toBeLessThanOrEqual(HISTORY / 100);
      }
      await shots.take(ana.page, "reached-the-first-of-2000");
      // The mouse wheel alone brings the first message into view.
      const box = await log.boundingBox();
      if (box) await ana.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      for (let i = 0; i < 10; i++) await ana.page.mouse.wheel(0, -4000);
      await eventually(async () => inLogView(ana.message(label(1))), "the first message in view");
      expect(await ana.page.getByRole("button", { name: "Load older messages" }).count()).toBe(0);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "shows a picked photo in the tray before sending, and the view follows my own sends, one sent offline too; a room searches its own copy offline; the profile's new name shows at once; emoji render in colour",
    async (context) => {
      const shots = new Screenshots("web-app-sends");
      onFailure(context, shots);
      const { ana, ben, proxy } = people();
      // Ben has the archive open, scrolled back into it, once his copy holds it (it opens at the
      // newest): offline below, he searches that copy.
      await ben.openRoom(ARCHIVE);
      await ben.message("Old message 2000").waitFor();
      await ben.messageLog().evaluate((el) => {
        el.scrollTop = el.scrollHeight / 2;
      });
      const photo = {
        name: "track.png",
        mimeType: "image/png",
        buffer: await sharp({ create: { width: 400, height: 300, channels: 3, background: "#3a7bd5" } })
          .png()
          .toBuffer(),
      };
      await takeOffline(ben, proxy);
      await ben.page.getByLabel("Attach files").setInputFiles([photo]);
      const preview = ben.page.getByRole("list", { name: "Files to send" }).getByRole("img", { name: "Preview of track.png" });
      await eventually(async () => preview.evaluate((img) => (img as HTMLImageElement).naturalWidth === 400), "the tray preview");
      await shots.take(ben.page, "tray-preview");
      await ben.composer().fill("Track photo 💪");
      await ben.composer().press("Enter");
      const sent = ben.message("Track photo");
      await sent.waitFor();
      await eventually(async () => inLogView(sent), "my offline photo message in view");
      await shots.take(ben.page, "offline-send-followed");
      // Offline, a room still searches its own copy.
      await ben.page.getByRole("button", { name: "Search in this chat" }).click();
      await ben.page.getByRole("searchbox", { name: "Search in this chat" }).fill("1999");
      await ben.page.getByRole("list", { name: "Message results" }).getByRole("button").filter({ hasText: "Old message 1999" }).waitFor();
      await shots.take(ben.page, "offline-search-in-this-chat");
      await ben.page.getByRole("button", { name: "Search in this chat" }).click();
      await bringOnline(ben, proxy);
      await ben.waitForMessageState("Track photo", "saved", "seen");
      await eventually(async () => inLogView(ben.message("Track photo")), "the sent photo message still in view");

      // Emoji come from the bundled colour font: it loads from the app and draws in colour.
      const colour = await ana.page.evaluate(async () => {
        const faces = await document.fonts.load("32px Twemoji", "💪");
        const canvas = document.createElement("canvas");
        canvas.width = 48;
        canvas.height = 48;
        const g = canvas.getContext("2d");
        if (!g) return { faces: faces.length, coloured: 0 };
        g.font = "32px Twemoji";
        g.fillText("💪", 4, 38);
        const { data } = g.getImageData(0, 0, 48, 48);
        let coloured = 0;
        for (let i = 0; i < data.length; i += 4) {
          const [r = 0, gr = 0, b = 0, a = 0] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
          if (a > 200 && Math.max(r, gr, b) - Math.min(r, gr, b) > 60) coloured++;
        }
        return { faces: faces.length, coloured };
      });
      expect(colour.faces).toBeGreaterThan(0);
      expect(colour.coloured).toBeGreaterThan(50);
      await ana.openRoom(ARCHIVE);
      // Ana had scrolled back to the first message, and the log is windowed: she goes down to the newest.
      await ana.messageLog().evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      await ana.message("Track photo 💪").waitFor();
      await shots.take(ana.page, "emoji-in-colour");

      await ana.backToList();
      await ana.page.getByRole("button", { name: "Profile", exact: true }).click();
      await ana.page.getByRole("textbox", { name: "Display name" }).fill("Ana L.");
      await ana.page.getByRole("button", { name: "Save profile" }).click();
      await ana.page.getByRole("banner").getByText("Ana L.", { exact: true }).waitFor();
      await shots.take(ana.page, "profile-saved-header-follows");
    },
    SCENARIO_TIMEOUT_MS,
  );
});
