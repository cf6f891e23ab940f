import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { createThrowawayDatabase, type ThrowawayDatabase } from "../helpers/backends.ts";
import { browserSuiteGate, launchChromium, Screenshots } from "../helpers/browser.ts";
import { ChatUser, takeOffline as cutOff, eventually, occurrences, bringOnline as reconnect, reportFailures } from "../helpers/chat-app.ts";
import { type ServerProcess, spawnServer } from "../helpers/server-process.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";
import { buildWebApp } from "../helpers/web-build.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PASSWORD = "correct horse battery";
const SCENARIO_TIMEOUT_MS = 180_000;

const gate = browserSuiteGate("chat");

/**
 * The web app in Chromium against the real server, built and started here: Ana, Ben and Cai each in
 * their own browser context. Ben reaches the server through a TCP proxy the test can sever, because
 * Playwright's setOffline does not close open WebSockets (playwright#4910). The group scenario
 * builds on the friendship made in the direct one, so the two run in order.
 */
describe.runIf(gate.run)("chat in Chromium", () => {
  let database: ThrowawayDatabase | undefined;
  let server: ServerProcess | undefined;
  let benProxy: TcpProxy | undefined;
  let browser: Browser | undefined;
  const users: ChatUser[] = [];

  beforeAll(async () => {
    gate.assertAvailable();
    buildWebApp();
    database = await createThrowawayDatabase("postgres");
    server = await spawnServer(database.env);
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

  /** Cut Ben off for real: the proxy resets his sockets (so his WebSocket dies) and the browser reports offline. */
  const takeOffline = async (user: ChatUser, proxy: TcpProxy) => {
    // His WebSocket (at least) runs through the proxy, so severing it is what cuts him off.
    expect(proxy.openConnections).toBeGreaterThan(0);
    await cutOff(user, proxy);
    expect(proxy.openConnections).toBe(0);
  };

  const bringOnline = (user: ChatUser, proxy: TcpProxy) => reconnect(user, proxy, /^Online$/);

  /** Every one of `expected` appears in `reader`'s open room exactly once, in this order. */
  const expectExactlyOnceInOrder = async (reader: ChatUser, expected: string[]) => {
    await eventually(
      async () => occurrences(await reader.messageTexts(), expected).every((o) => o.count >= 1),
      `${reader.username} to see ${expected.join(", ")}`,
      60_000,
    );
    const found = occurrences(await reader.messageTexts(), expected);
    expect(found.map((o) => o.count)).toEqual(expected.map(() => 1));
    const indexes = found.map((o) => o.index);
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
  };

  const expectNoneOf = async (reader: ChatUser, unexpected: string[]) => {
    const found = occurrences(await reader.messageTexts(), unexpected);
    expect(found.filter((o) => o.count > 0).map((o) => o.text)).toEqual([]);
  };

  /** Ben, cut off, writes `texts` (each stays waiting), reloads while still cut off and still sees them. */
  const writeOfflineAndReload = async (ben: ChatUser, room: string, texts: string[], shots: Screenshots, others: ChatUser[]) => {
    for (const text of texts) {
      await ben.send(text);
      await ben.waitForMessageState(text, "waiting");
    }
    await ben.waitForConnection(/waiting/);
    await shots.take(ben.page, "ben-offline-three-waiting");
    for (const other of others) {
      await expectNoneOf(other, texts);
      await shots.take(other.page, `${other.username}-sees-none-while-ben-is-cut-off`);
    }

    // The service worker serves the shell with no network; the room and its unsent messages come from IndexedDB.
    await ben.page.reload();
    await ben.openRoom(room);
    for (const text of texts) await ben.waitForMessageState(text, "waiting");
    await expectExactlyOnceInOrder(ben, texts);
    await shots.take(ben.page, "ben-reloaded-offline-still-sees-three");
    for (const other of others) await expectNoneOf(other, texts);
  };

  it(
    "two people befriend each other, chat directly with typing and read receipts, and three messages written offline arrive once and in order",
    async (context) => {
      if (!server || !benProxy) throw new Error("no server");
      const shots = new Screenshots("direct-chat");
      onFailure(context, shots);
      const proxy = benProxy;

      const ana = await open(server.url, "ana", "Ana Lima");
      const ben = await open(proxy.url, "ben", "Ben Costa");
      await ana.signUp(PASSWORD);
      await shots.take(ana.page, "ana-signed-up");
      await ben.signUp(PASSWORD);
      await shots.take(ben.page, "ben-signed-up");

      await ana.sendFriendRequest(ben, "Hi Ben, want to train together?");
      await shots.take(ana.page, "ana-sent-request-to-ben");
      await ben.acceptFriendRequest(ana);
      await shots.take(ben.page, "ben-accepted-ana");
      await ana.friendItem(ben).waitFor();
      await shots.take(ana.page, "ana-sees-ben-as-friend");

      await ana.openDirectChat(ben);
      await ana.send("Hi Ben, it's Ana");
      await shots.take(ana.page, "ana-sent-first-message");
      await ben.openRoom(ana.displayName);
      await ben.message("Hi Ben, it's Ana").waitFor();
      await shots.take(ben.page, "ben-reads-ana-message");

      // Ben has the room open, so Ana's message is read: she sees his receipt.
      await ana.waitForMessageState("Hi Ben, it's Ana", "seen");
      await ana.page.getByText(/Seen by .*Ben/i).waitFor();
      await shots.take(ana.page, "ana-sees-ben-read-receipt");

      await ben.send("Hey Ana! Run on Saturday?");
      await ana.message("Hey Ana! Run on Saturday?").waitFor();
      await shots.take(ana.page, "ana-sees-ben-reply");

      await ana.type("Saturday at 8 works");
      await ben.page.getByText(/Ana.* is typing/i).waitFor();
      await shots.take(ben.page, "ben-sees-ana-typing");
      await ana.composer().press("Enter");
      await ben.message("Saturday at 8 works").waitFor();
      await ben.roomItem(ana.displayName).filter({ hasText: "Saturday at 8 works" }).waitFor();
      await shots.take(ben.page, "ben-sees-ana-message");

      await takeOffline(ben, proxy);
      await shots.take(ben.page, "ben-offline");
      // The server saw his socket close: Ana's friends list says when he was last seen.
      await ana.showFriends();
      await ana
        .friendItem(ben)
        .filter({ hasText: /last seen/i })
        .waitFor();
      await shots.take(ana.page, "ana-sees-ben-last-seen");
      await ana.openRoom(ben.displayName);
      const offline = ["Offline one: on my way", "Offline two: no signal here", "Offline three: see you at 8"];
      await writeOfflineAndReload(ben, ana.displayName, offline, shots, [ana]);

      await bringOnline(ben, proxy);
      for (const text of offline) await ben.waitForMessageState(text, "saved", "seen");
      await shots.take(ben.page, "ben-back-online-three-saved");
      await expectExactlyOnceInOrder(ana, offline);
      await expectExactlyOnceInOrder(ben, offline);
      await shots.take(ana.page, "ana-sees-three-once-in-order");
      await ana.showFriends();
      await ana.friendItem(ben).filter({ hasText: "online" }).waitFor();
      await shots.take(ana.page, "ana-sees-ben-online-again");
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "a group with a third member exchanges messages, and three messages a member writes offline reach the others once and in order",
    async (context) => {
      if (!server || !benProxy) throw new Error("no server");
      const shots = new Screenshots("group-chat");
      onFailure(context, shots);
      const proxy = benProxy;
      const [ana, ben] = users;
      if (!ana || !ben) throw new Error("the group scenario needs Ana and Ben from the direct one");

      const cai = await open(server.url, "cai", "Cai Wu");
      await cai.signUp(PASSWORD);
      await shots.take(cai.page, "cai-signed-up");
      await ana.sendFriendRequest(cai, "Join our running group?");
      await cai.acceptFriendRequest(ana);
      await shots.take(cai.page, "cai-accepted-ana");

      const group = "Trail runners";
      await ana.createGroup(group, [ben, cai]);
      await shots.take(ana.page, "ana-created-group");
      await ana.send("Welcome to Trail runners!");
      await ben.openRoom(group);
      await ben.message("Welcome to Trail runners!").waitFor();
      await shots.take(ben.page, "ben-sees-welcome");
      await cai.openRoom(group);
      await cai.message("Welcome to Trail runners!").waitFor();
      await shots.take(cai.page, "cai-sees-welcome");

      await ana.waitForMessageState("Welcome to Trail runners!", "seen");
      await ana.page
        .getByText(/Seen by/i)
        .filter({ hasText: "Ben" })
        .filter({ hasText: "Cai" })
        .waitFor();
      await shots.take(ana.page, "ana-sees-welcome-seen");

      await ana.type("Route: the river loop");
      await cai.page.getByText(/Ana.* is typing/i).waitFor();
      await shots.take(cai.page, "cai-sees-ana-typing");
      await ana.composer().press("Enter");
      await cai.message("Route: the river loop").waitFor();

      await cai.send("Thanks Ana, count me in");
      for (const member of [ana, ben]) {
        await member.message("Route: the river loop").waitFor();
        await member.message("Thanks Ana, count me in").waitFor();
      }
      await shots.take(ben.page, "ben-sees-group-messages");

      await takeOffline(ben, proxy);
      await shots.take(ben.page, "ben-offline");
      const offline = ["Group offline one: running late", "Group offline two: tunnel", "Group offline three: almost there"];
      await writeOfflineAndReload(ben, group, offline, shots, [ana, cai]);

      await bringOnline(ben, proxy);
      for (const text of offline) await ben.waitForMessageState(text, "saved", "seen");
      await shots.take(ben.page, "ben-back-online-three-saved");
      await expectExactlyOnceInOrder(ana, offline);
      await shots.take(ana.page, "ana-sees-three-once-in-order");
      await expectExactlyOnceInOrder(cai, offline);
      await shots.take(cai.page, "cai-sees-three-once-in-order");
      await expectExactlyOnceInOrder(ben, offline);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "lets an operator inspect a room, travel back through it and erase a message every member's screen drops",
    async (context) => {
      if (!server || !database) throw new Error("no server");
      const shots = new Screenshots("admin-page");
      onFailure(context, shots);
      const [ana, ben, cai] = users;
      if (!ana || !ben || !cai) throw new Error("the admin scenario needs the users of the group one");

      // The operator grants the role from the command line, as the docs say.
      execFileSync(process.execPath, ["--import", "tsx", "server/admin/cli.ts", "grant-admin", ana.username], {
        cwd: root,
        env: { ...process.env, ...database.env, LOG_LEVEL: "silent" },
      });
      await ana.page.reload();
      await ana.page.getByRole("button", { name: "Admin" }).click();
      await ana.page.getByRole("table", { name: "Rooms table" }).getByRole("button", { name: "Trail runners" }).click();
      const shown = ana.page.getByRole("list", { name: "Messages as shown" });
      await shown.getByText("Route: the river loop").waitFor();
      await ana.page.getByText("Raw JSON").waitFor();
      await shots.take(ana.page, "ana-inspects-trail-runners");

      // Back to the room's first stored change: only how it began.
      await ana.page.getByLabel("Time").fill("0");
      await ana.page.getByText(/As it was at/).waitFor();
      // The first stored change stamped the empty room: no message yet, not even the welcome.
      await eventually(async () => !(await shown.textContent())?.includes("Welcome to Trail runners"), "the room at its start");
      await ana.page.getByText('"messages": []').waitFor();
      await shots.take(ana.page, "ana-sees-the-room-at-its-start");
      const latest = await ana.page.getByLabel("Time").getAttribute("max");
      await ana.page.getByLabel("Time").fill(latest ?? "0");
      await ana.page.getByText("As it is now").waitFor();

      ana.page.once("dialog", (dialog) => void dialog.accept());
      await shown.getByRole("listitem").filter({ hasText: "Route: the river loop" }).getByRole("button", { name: "Erase" }).click();
      await eventually(async () => !(await shown.textContent())?.includes("Route: the river loop"), "the erase on the admin page");
      await shots.take(ana.page, "ana-erased-the-route");
      // Members with the room open are told to resync and converge to the erased state.
      for (const member of [ben, cai]) {
        await eventually(
          async () => !(await member.messageTexts()).some((t) => t.includes("Route: the river loop")),
          `${member.username}'s screen to drop it`,
        );
        await member.page.getByText("This message was deleted").first().waitFor();
        await member.waitForConnection(/^Online$/);
        await shots.take(member.page, `${member.username}-sees-the-erase`);
      }
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "sends a photo its members see as a thumbnail, and one picked offline waits, survives a reload, and arrives once",
    async (context) => {
      if (!server || !benProxy) throw new Error("no server");
      const shots = new Screenshots("media");
      onFailure(context, shots);
      const proxy = benProxy;
      const [ana, ben, cai] = users;
      if (!ana || !ben || !cai) throw new Error("the media scenario needs the users of the group one");
      const group = "Trail runners";
      const photo = async (name: string, width: number, height: number, background: string) => ({
        name,
        mimeType: "image/png",
        buffer: await sharp({ create: { width, height, channels: 3, background } })
          .png()
          .toBuffer(),
      });

      // Ana is still on the admin page, whose heading names the room too: go back to the chats first.
      for (const member of [ana, ben, cai]) {
        await member.showChats();
        await member.openRoom(group);
      }
      await ana.sendWithFiles("Summit photo", [await photo("summit.png", 960, 640, "#3a7bd5")]);
      await shots.take(ana.page, "ana-sent-summit-photo");
      for (const member of [ben, cai]) {
        // A 960 × 640 photo's thumbnail is 320 × 213: made on the server, shown at its known size.
        expect(await member.waitForPicture("Summit photo", "summit.png")).toEqual({ width: 320, height: 213 });
        await shots.take(member.page, `${member.username}-sees-summit-thumbnail`);
      }
      await ana.waitForMessageState("Summit photo", "saved", "seen");
      // Clicking the thumbnail opens the original in the app's viewer, titled with the file name: the whole 960 × 640 photo.
      await ben.message("Summit photo").getByRole("img", { name: "summit.png" }).click();
      const viewer = ben.page.getByRole("dialog", { name: "summit.png" });
      const original = await eventually(
        () =>
          viewer.getByRole("img", { name: "summit.png" }).evaluate((element) => {
            const img = element as HTMLImageElement;
            return img.complete && img.naturalWidth > 0 ? { width: img.naturalWidth, height: img.naturalHeight } : null;
          }),
        "the original in the viewer",
      );
      expect(original).toEqual({ width: 960, height: 640 });
      await shots.take(ben.page, "ben-opened-the-original");
      await viewer.getByRole("button", { name: "Close" }).click();
      await viewer.waitFor({ state: "hidden" });

      await takeOffline(ben, proxy);
      await ben.sendWithFiles("From the tunnel", [await photo("tunnel.png", 400, 600, "#d5803a")]);
      await ben.waitForMessageState("From the tunnel", "waiting");
      await ben.message("From the tunnel").getByRole("progressbar", { name: "Uploading tunnel.png" }).waitFor();
      await ben.waitForConnection(/waiting/);
      await shots.take(ben.page, "ben-offline-photo-waiting");
      await expectNoneOf(ana, ["From the tunnel"]);

      // The outbox is in IndexedDB: the picked photo is still there after an offline reload.
      await ben.page.reload();
      await ben.openRoom(group);
      await ben.waitForMessageState("From the tunnel", "waiting");
      await ben.message("From the tunnel").getByRole("img", { name: "tunnel.png" }).waitFor();
      await shots.take(ben.page, "ben-reloaded-offline-photo-still-waiting");

      await bringOnline(ben, proxy);
      await ben.waitForMessageState("From the tunnel", "saved", "seen");
      for (const member of [ana, cai]) {
        expect(await member.waitForPicture("From the tunnel", "tunnel.png")).toEqual({ width: 213, height: 320 });
        await expectExactlyOnceInOrder(member, ["Summit photo", "From the tunnel"]);
        await shots.take(member.page, `${member.username}-sees-ben-offline-photo-once`);
      }
      await expectExactlyOnceInOrder(ben, ["Summit photo", "From the tunnel"]);
      expect(await ben.waitForPicture("From the tunnel", "tunnel.png")).toEqual({ width: 213, height: 320 });
      // Once the server sequenced it, the outbox let go of it: nothing of it is left in IndexedDB.
      await eventually(async () => (await ben.outboxEntries()) === 0, "Ben's outbox to empty");
      await ben.waitForConnection(/^Online$/);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
