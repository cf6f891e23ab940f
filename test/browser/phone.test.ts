import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { createThrowawayDatabase, type ThrowawayDatabase } from "../helpers/backends.ts";
import { browserSuiteGate, launchChromium, Screenshots } from "../helpers/browser.ts";
import { ChatUser, DEVICES, eventually, reportFailures } from "../helpers/chat-app.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { buildWebApp } from "../helpers/web-build.ts";

const PASSWORD = "correct horse battery";
const SCENARIO_TIMEOUT_MS = 180_000;
const PHONE = DEVICES.phone.viewport;

const gate = browserSuiteGate("phone");

/** Whether `locator` lies wholly inside the page's viewport (what a person can see without scrolling sideways or down). */
async function onScreen(page: Page, locator: Locator): Promise<boolean> {
  const box = await locator.boundingBox();
  const viewport = page.viewportSize();
  if (!box || !viewport) return false;
  return box.x >= 0 && box.y >= 0 && box.x + box.width <= viewport.width + 0.5 && box.y + box.height <= viewport.height + 0.5;
}

/** The visible buttons, fields and links under `scope` smaller than 44 × 44 CSS pixels, by name. */
async function smallTargets(scope: Locator): Promise<string[]> {
  return scope.evaluate((root) => {
    const small: string[] = [];
    for (const el of root.querySelectorAll<HTMLElement>("button, input:not([type=file]), select, textarea, a[href]")) {
      // A checkbox is hit through its whole label.
      const input = el as HTMLInputElement;
      const target =
        (input.type === "checkbox" || input.type === "radio") && el.closest("label") ? (el.closest("label") as HTMLElement) : el;
      const box = target.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (box.width === 0 || box.height === 0 || style.visibility === "hidden") continue;
      // A link inside a sentence is sized by its text (WCAG 2.5.8 leaves inline targets out).
      if (el.tagName === "A" && el.closest("p")) continue;
      if (box.width < 43.5 || box.height < 43.5)
        small.push(
          `${el.tagName.toLowerCase()} "${el.getAttribute("aria-label") ?? el.textContent?.trim()}" ${Math.round(box.width)}×${Math.round(box.height)}`,
        );
    }
    return small;
  });
}

/**
 * The web app at a phone's size (390 × 844, touch): the room list and a room are separate views
 * with a back control, the composer and Send stay on screen, nothing is wider than the screen,
 * and every control is big enough for a finger.
 */
describe.runIf(gate.run)("chat on a phone in Chromium", () => {
  let database: ThrowawayDatabase | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  const users: ChatUser[] = [];

  beforeAll(async () => {
    gate.assertAvailable();
    buildWebApp();
    database = await createThrowawayDatabase("postgres");
    server = await spawnServer(database.env);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await database?.drop();
  });

  const open = async (username: string, displayName: string) => {
    if (!browser || !server) throw new Error("no browser");
    const user = await ChatUser.open(browser, server.url, username, displayName, "phone");
    users.push(user);
    return user;
  };
  const onFailure = (context: TestContext, shots: Screenshots) => reportFailures(context, shots, users);
  const pageWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

  it(
    "shows the room list and a room one at a time with a back control, keeps the composer on screen above the keyboard, and sizes every control for a finger",
    async (context) => {
      const shots = new Screenshots("phone");
      onFailure(context, shots);
      const pia = await open("pia", "Pia Sousa");
      const dan = await open("dan", "Dan Okafor");
      await pia.page.getByRole("button", { name: "I have no account" }).click();
      await shots.take(pia.page, "sign-up");
      expect(await pageWidth(pia.page)).toBeLessThanOrEqual(PHONE.width);
      await pia.page.getByRole("button", { name: "I have an account" }).click();
      await pia.signUp(PASSWORD);
      await dan.signUp(PASSWORD);
      await shots.take(pia.page, "chats-empty");

      await pia.sendFriendRequest(dan, "Hi Dan");
      await shots.take(pia.page, "friends");
      await dan.acceptFriendRequest(pia);
      await pia.friendItem(dan).waitFor();
      expect(await smallTargets(pia.page.getByRole("main"))).toEqual([]);
      expect(await pageWidth(pia.page)).toBeLessThanOrEqual(PHONE.width);

      // The room takes the whole screen: no list beside it, a way back, the composer and Send in view.
      await pia.openDirectChat(dan);
      await pia.send("Hi Dan, from my phone");
      await shots.take(pia.page, "room");
      expect(await pia.page.getByRole("list", { name: "Rooms" }).isVisible()).toBe(false);
      expect(await pia.page.getByRole("navigation", { name: "Main" }).isVisible()).toBe(false);
      expect(await onScreen(pia.page, pia.composer())).toBe(true);
      expect(await onScreen(pia.page, pia.page.getByRole("button", { name: "Send" }))).toBe(true);
      expect(await onScreen(pia.page, pia.page.getByRole("button", { name: "Back to chats" }))).toBe(true);
      expect(await pageWidth(pia.page)).toBeLessThanOrEqual(PHONE.width);
      expect(await smallTargets(pia.page.getByRole("main"))).toEqual([]);

      // The keyboard takes the lower part of the screen (the page resizes to what is left): the composer stays above it.
      await pia.page.setViewportSize({ width: PHONE.width, height: 460 });
      await pia.composer().focus();
      await eventually(async () => onScreen(pia.page, pia.page.getByRole("button", { name: "Send" })), "Send above the keyboard");
      expect(await onScreen(pia.page, pia.composer())).toBe(true);
      await shots.take(pia.page, "room-with-keyboard");
      await pia.page.setViewportSize(PHONE);

      // Dan picks the chat from his list, reads it, and goes back to the list.
      await dan.openRoom(pia.displayName);
      await dan.message("Hi Dan, from my phone").waitFor();
      expect(await dan.page.getByRole("list", { name: "Rooms" }).isVisible()).toBe(false);
      await dan.send("Hello Pia");
      await pia.message("Hello Pia").waitFor();
      // A message's actions come with a tap on it, each big enough for a finger.
      await pia.message("Hello Pia").tap();
      const reply = pia.message("Hello Pia").getByRole("button", { name: "Reply" });
      await reply.waitFor();
      expect(await smallTargets(pia.message("Hello Pia"))).toEqual([]);
      await shots.take(pia.page, "message-actions");

      await dan.page.getByRole("button", { name: "Back to chats" }).click();
      await dan.page.getByRole("list", { name: "Rooms" }).waitFor();
      expect(await dan.roomHeading(pia.displayName).isVisible()).toBe(false);
      await dan.roomItem(pia.displayName).filter({ hasText: "Hello Pia" }).waitFor();
      await shots.take(dan.page, "back-to-the-list");
      expect(await smallTargets(dan.page.getByRole("main"))).toEqual([]);

      // The phone's own back button leaves the room for the list as well.
      await dan.openRoom(pia.displayName);
      await dan.page.goBack();
      await dan.page.getByRole("list", { name: "Rooms" }).waitFor();
      expect(await dan.roomHeading(pia.displayName).isVisible()).toBe(false);

      await pia.backToList();
      await pia.page.getByRole("button", { name: "Profile", exact: true }).click();
      await pia.page.getByRole("button", { name: "Save profile" }).waitFor();
      await shots.take(pia.page, "profile");
      expect(await pageWidth(pia.page)).toBeLessThanOrEqual(PHONE.width);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "fits a group's settings, a confirmation, search and a removed member's read-only history on a phone's screen",
    async (context) => {
      const shots = new Screenshots("phone-group");
      onFailure(context, shots);
      const [pia, dan] = users;
      if (!pia || !dan) throw new Error("this scenario needs Pia and Dan from the first one");
      const eli = await open("eli", "Eli Park");
      await eli.signUp(PASSWORD);
      const piaApi = await pia.api();
      const eliApi = await eli.api();
      const request = await piaApi.post("/api/v1/chat/friends/requests", { requestee_id: eliApi.userId, message: "Hi" });
      expect(request.status).toBeLessThan(300);
      await eliApi.put(`/api/v1/chat/friends/requests/${request.body.id}`, { status: "accepted" });

      await pia.createGroup("Phone crew", [dan, eli]);
      await pia.send("Track at six, bring spikes");
      await eli.openRoom("Phone crew");
      await eli.send("Spikes packed");
      await pia.message("Spikes packed").waitFor();

      await pia.backToList();
      await pia.page.getByRole("searchbox", { name: "Search all chats" }).fill("spik");
      const results = pia.page.getByRole("list", { name: "Message results" });
      await results.getByRole("button").filter({ hasText: "Spikes packed" }).waitFor();
      expect(await pageWidth(pia.page)).toBeLessThanOrEqual(PHONE.width);
      await shots.take(pia.page, "search-all-chats");
      await results.getByRole("button").filter({ hasText: "Track at six" }).tap();
      await pia.roomHeading("Phone crew").waitFor();
      await shots.take(pia.page, "search-result-in-the-room");

      await pia.page.getByRole("button", { name: "Group settings" }).tap();
      const settings = pia.page.getByRole("dialog", { name: "Group settings" });
      await settings.waitFor();
      expect(await onScreen(pia.page, settings)).toBe(true);
      expect(await smallTargets(settings)).toEqual([]);
      await shots.take(pia.page, "group-settings");
      await settings
        .getByRole("list", { name: "Members" })
        .getByRole("listitem")
        .filter({ hasText: "Eli Park" })
        .getByRole("button", { name: "Remove" })
        .tap();
      const ask = pia.page.getByRole("dialog", { name: "Remove Eli Park from Phone crew?" });
      await ask.waitFor();
      expect(await onScreen(pia.page, ask)).toBe(true);
      await shots.take(pia.page, "remove-asks-first");
      await ask.getByRole("button", { name: "Remove from group" }).tap();
      await ask.waitFor({ state: "hidden" });
      await settings.getByRole("button", { name: "Close" }).tap();

      await eli.page.getByText("You were removed from Phone crew by Pia Sousa").waitFor();
      await eli.message("Track at six, bring spikes").waitFor();
      expect(await eli.composer().count()).toBe(0);
      expect(await pageWidth(eli.page)).toBeLessThanOrEqual(PHONE.width);
      // The view turns read-only and the notification offer may appear above it: wait for the layout to settle.
      await eventually(
        async () => onScreen(eli.page, eli.page.getByRole("button", { name: "Back to chats" })),
        "the back control on screen",
      );
      await shots.take(eli.page, "removed-member-read-only");
    },
    SCENARIO_TIMEOUT_MS,
  );
});
