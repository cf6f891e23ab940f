import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import type { TestContext } from "vitest";
import { ApiClient } from "./api-client.ts";
import type { Screenshots } from "./browser.ts";
import type { TcpProxy } from "./tcp-proxy.ts";
import { waitFor } from "./wait-for.ts";

/** The states a message shows: written here and not yet stored, stored by the server, read by someone. */
export type MessageState = "waiting" | "saved" | "seen";

/** The screen sizes the browser suites run at. */
export type Device = "desktop" | "phone";

/** Desktop is a laptop window; phone is an iPhone 12-to-15-sized screen with touch. */
export const DEVICES = {
  desktop: { viewport: { width: 1100, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
} as const;

/** How long a browser step may take before it fails: two cores run the server, Chromium and the tests. */
export const STEP_TIMEOUT_MS = 30_000;

/** `waitFor` with the browser steps' longer default timeout. */
export const eventually = <T>(check: () => Promise<T>, what: string, timeoutMs = STEP_TIMEOUT_MS): Promise<NonNullable<T>> =>
  waitFor(check, what, timeoutMs);

/**
 * One person using the web app in their own browser context, driven only through the accessible
 * names that docs/web-app.md promises.
 */
export class ChatUser {
  /** What the page logged to its console and any uncaught errors, for the report when a test fails. */
  readonly consoleLines: string[] = [];

  private constructor(
    readonly username: string,
    readonly displayName: string,
    readonly baseUrl: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on("console", (message) => this.consoleLines.push(`[${message.type()}] ${message.text()}`));
    page.on("pageerror", (error) => this.consoleLines.push(`[pageerror] ${error.message}`));
  }

  /**
   * A fresh browser context (its own storage, service worker and socket) with the app open at
   * `baseUrl`, at desktop size or as a phone (390 × 844, touch).
   */
  static async open(
    browser: Browser,
    baseUrl: string,
    username: string,
    displayName: string,
    device: Device = "desktop",
  ): Promise<ChatUser> {
    const context = await browser.newContext({ ...DEVICES[device], serviceWorkers: "allow" });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    await page.goto(baseUrl);
    return new ChatUser(username, displayName, baseUrl, context, page);
  }

  /** A REST client with this user's session (from the page's storage), to set a scene quickly. */
  async api(): Promise<ApiClient & { userId: string }> {
    const session = await this.page.evaluate(
      () => JSON.parse(localStorage.getItem("chat.session") ?? "null") as { token: string; user: { id: string } } | null,
    );
    if (!session) throw new Error(`${this.username} is not signed in`);
    return Object.assign(new ApiClient(this.baseUrl, session.token), { userId: session.user.id });
  }

  /** The `status` "Connection": `Online`, `Offline` or `Syncing`, plus `· N waiting`. */
  connection(): Locator {
    return this.page.getByRole("status", { name: "Connection" });
  }

  async signUp(password: string): Promise<void> {
    const { page } = this;
    await page.getByRole("button", { name: "I have no account" }).click();
    await page.getByRole("textbox", { name: "Username" }).fill(this.username);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("textbox", { name: "Display name" }).fill(this.displayName);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("button", { name: "Chats", exact: true }).waitFor();
    await this.waitForConnection(/^Online$/);
  }

  /** Wait until the connection status reads `pattern` (for example /^Online$/ once nothing waits). */
  async waitForConnection(pattern: RegExp): Promise<void> {
    await eventually(
      async () => pattern.test(((await this.connection().textContent()) ?? "").trim()),
      `${this.username}'s connection status to match ${pattern}`,
      60_000,
    );
  }

  /** Wait until this page's service worker is active, so the shell opens with no network. */
  async waitForServiceWorker(): Promise<void> {
    await this.page.waitForFunction(
      async () => (await navigator.serviceWorker.getRegistration())?.active?.state === "activated",
      undefined,
      { timeout: 60_000, polling: 250 },
    );
  }

  async showFriends(): Promise<void> {
    await this.backToList();
    await this.page.getByRole("button", { name: "Friends", exact: true }).click();
  }

  async showChats(): Promise<void> {
    await this.backToList();
    await this.page.getByRole("button", { name: "Chats", exact: true }).click();
  }

  /** On a phone an open room fills the screen: "Back to chats" returns to the list and the navigation. */
  async backToList(): Promise<void> {
    const back = this.page.getByRole("button", { name: "Back to chats" });
    if (await back.isVisible()) await back.click();
  }

  /** Search for `other`, press "Add friend" on their hit and send the request with `message`. */
  async sendFriendRequest(other: ChatUser, message: string): Promise<void> {
    const { page } = this;
    await this.showFriends();
    await page.getByRole("searchbox", { name: "Search people" }).fill(other.username);
    const hit = page
      .getByRole("listitem")
      .filter({ hasText: other.displayName })
      .filter({ has: page.getByRole("button", { name: "Add friend" }) })
      .first();
    await hit.getByRole("button", { name: "Add friend" }).click();
    const dialog = page.getByRole("dialog", { name: "Friend request" });
    await dialog.getByRole("textbox", { name: "Message (optional)" }).fill(message);
    await dialog.getByRole("button", { name: "Send request" }).click();
    await dialog.waitFor({ state: "hidden" });
    await this.list("Requests sent").getByRole("listitem").filter({ hasText: other.displayName }).waitFor();
  }

  /** Accept the pending request from `other` (it arrives live) and wait until they are a friend. */
  async acceptFriendRequest(other: ChatUser): Promise<void> {
    await this.showFriends();
    const request = this.list("Requests received").getByRole("listitem").filter({ hasText: other.displayName });
    await request.getByRole("button", { name: "Accept" }).click();
    await this.friendItem(other).waitFor();
  }

  /** `other`'s entry in my list "Friends". */
  friendItem(other: ChatUser): Locator {
    return this.list("Friends").getByRole("listitem").filter({ hasText: other.displayName });
  }

  /** Press "Message" on `other` in my friends list and wait for the room to open. */
  async openDirectChat(other: ChatUser): Promise<void> {
    await this.showFriends();
    await this.friendItem(other).getByRole("button", { name: "Message", exact: true }).click();
    await this.roomHeading(other.displayName).waitFor();
  }

  /** Open the room named `name` from the list "Rooms" (unless it is already open). */
  async openRoom(name: string): Promise<void> {
    if (await this.roomHeading(name).isVisible()) return;
    await this.showChats();
    await this.list("Rooms").getByRole("button", { name }).first().click();
    await this.roomHeading(name).waitFor();
  }

  /** Create a group from the "New group" dialog with `members` (friends of mine); it opens. */
  async createGroup(name: string, members: ChatUser[]): Promise<void> {
    const { page } = this;
    await this.showChats();
    await page.getByRole("button", { name: "New group" }).click();
    const dialog = page.getByRole("dialog", { name: "New group" });
    await dialog.getByRole("textbox", { name: "Group name" }).fill(name);
    for (const member of members) await dialog.getByRole("checkbox", { name: member.displayName }).check();
    await dialog.getByRole("button", { name: "Create", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    // The new group opens by itself (on a phone it then fills the screen, the navigation hidden).
    await this.roomHeading(name).waitFor();
  }

  /** My entry for the room `name` in the list "Rooms" (its button, last message and unread badge). */
  roomItem(name: string): Locator {
    return this.list("Rooms")
      .getByRole("listitem")
      .filter({ has: this.page.getByRole("button", { name }) });
  }

  roomHeading(name: string): Locator {
    return this.page.getByRole("heading", { name });
  }

  /** The `log` "Messages" of the open room. */
  messageLog(): Locator {
    return this.page.getByRole("log", { name: "Messages" });
  }

  /** The message `article` whose text contains `text` (the first, if several do). */
  message(text: string): Locator {
    return this.messageLog().getByRole("article").filter({ hasText: text }).first();
  }

  /** The composer: textbox "Message". */
  composer(): Locator {
    return this.page.getByRole("textbox", { name: "Message", exact: true });
  }

  /** Type `text` key by key (so the app sees typing) without sending it. */
  async type(text: string): Promise<void> {
    await this.composer().pressSequentially(text, { delay: 30 });
  }

  /** Type `text` and press Enter, which sends it. */
  async send(text: string): Promise<void> {
    await this.composer().fill(text);
    await this.composer().press("Enter");
    await this.message(text).waitFor();
  }

  /** Pick `files` with "Attach files", write `text` and send: the message goes with its files. */
  async sendWithFiles(text: string, files: Array<{ name: string; mimeType: string; buffer: Buffer }>): Promise<void> {
    await this.page.getByLabel("Attach files").setInputFiles(files);
    for (const file of files) await this.page.getByRole("list", { name: "Files to send" }).getByText(file.name).waitFor();
    await this.composer().fill(text);
    await this.composer().press("Enter");
    await this.message(text).waitFor();
  }

  /** Wait until the message holding `text` shows the picture `name`, loaded (it has pixels). */
  async waitForPicture(text: string, name: string): Promise<{ width: number; height: number }> {
    const image = this.message(text).getByRole("img", { name });
    return eventually(
      async () =>
        image.evaluate((element) => {
          const img = element as HTMLImageElement;
          return img.complete && img.naturalWidth > 0 ? { width: img.naturalWidth, height: img.naturalHeight } : null;
        }),
      `${this.username} to see the picture ${name} in "${text}"`,
      60_000,
    );
  }

  /** How many messages wait in this account's media outbox (its IndexedDB store). */
  async outboxEntries(): Promise<number> {
    return this.page.evaluate(async () => {
      const session = JSON.parse(localStorage.getItem("chat.session") ?? "null") as { user: { id: string } } | null;
      if (!session) return -1;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(`chat-outbox:${session.user.id}`);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const count = await new Promise<number>((resolve, reject) => {
        const request = db.transaction("entries").objectStore("entries").count();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      db.close();
      return count;
    });
  }

  /** The texts of every message article in the open room, top to bottom. */
  async messageTexts(): Promise<string[]> {
    return this.messageLog().getByRole("article").allInnerTexts();
  }

  /** Wait until the article holding `text` reports one of `states`, in its text or its accessible names. */
  async waitForMessageState(text: string, ...states: MessageState[]): Promise<void> {
    const pattern = new RegExp(`\\b(${states.join("|")})\\b`, "i");
    await eventually(
      async () => pattern.test(await this.message(text).ariaSnapshot()),
      `${this.username} to see "${text}" as ${states.join(" or ")}`,
      60_000,
    );
  }

  private list(name: string): Locator {
    return this.page.getByRole("list", { name });
  }
}

/** How many of `texts` each expected message appears in, and where the first one is. */
export function occurrences(texts: string[], expected: string[]): { text: string; count: number; index: number }[] {
  return expected.map((text) => ({
    text,
    count: texts.filter((t) => t.includes(text)).length,
    index: texts.findIndex((t) => t.includes(text)),
  }));
}

/**
 * On a failed test, a last screenshot of every user's page and what each page logged, to see
 * where it stopped. Call at the start of a browser test with the suite's users.
 */
export function reportFailures(context: TestContext, shots: Screenshots, users: readonly ChatUser[]): void {
  context.onTestFailed(async () => {
    for (const user of users) {
      const file = await shots.take(user.page, `failure-${user.username}`).catch((error: unknown) => `(no screenshot: ${error})`);
      console.error(`--- ${user.username} at failure: ${file}\n${user.consoleLines.slice(-40).join("\n")}`);
    }
  });
}

/** Cut `user` off for real: the proxy resets their sockets (so the WebSocket dies) and the browser reports offline. */
export async function takeOffline(user: ChatUser, proxy: TcpProxy): Promise<void> {
  await user.waitForServiceWorker();
  proxy.sever();
  await user.context.setOffline(true);
  await user.waitForConnection(/^Offline/);
}

/** Let `user` back online, and wait until the connection status reads `status`. */
export async function bringOnline(user: ChatUser, proxy: TcpProxy, status = /^Online/): Promise<void> {
  proxy.restore();
  await user.context.setOffline(false);
  await user.waitForConnection(status);
}
