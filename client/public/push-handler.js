// Web Push in the service worker that vite-plugin-pwa generates (vite.config.ts `importScripts`).
// A static asset, so plain JavaScript. The payload is shared/api/push.ts `pushPayloadSchema`.

/** "3 new messages", "2 new friend requests" (server/push/payload.ts countLine). */
function countLine(kind, count) {
  const noun = kind === "friend_request" ? "friend request" : "message";
  return `${count} new ${noun}${count === 1 ? "" : "s"}`;
}

async function showPush(payload) {
  // One notification per room (its tag): a push for a room whose notification is still on screen
  // replaces it and adds its count, so the user sees "5 new messages", not the last push's 2.
  const shown = await self.registration.getNotifications({ tag: payload.tag });
  const earlier = shown.reduce((sum, n) => sum + (Number(n.data?.count) || 0), 0);
  const count = earlier + payload.count;
  const body = count > 1 ? `${countLine(payload.kind, count)}\n${payload.latest}` : payload.body;
  await self.registration.showNotification(payload.title, {
    body,
    tag: payload.tag,
    // Replacing a notification is silent unless asked: a new message should still alert.
    renotify: true,
    icon: "/icon.svg",
    data: { url: payload.url, count },
  });
}

self.addEventListener("push", (event) => {
  let payload = null;
  try {
    payload = event.data ? event.data.json() : null;
  } catch {
    payload = null;
  }
  if (!payload || typeof payload.title !== "string" || typeof payload.tag !== "string") {
    // Browsers require a visible notification for every push (userVisibleOnly).
    event.waitUntil(self.registration.showNotification("Crew chat", { body: "Something new is waiting for you." }));
    return;
  }
  event.waitUntil(showPush(payload));
});

async function openUrl(url) {
  const target = new URL(url || "/", self.location.origin);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((w) => new URL(w.url).origin === target.origin);
  if (open) {
    // The app keeps its place in the hash: navigating the open tab moves it to the room.
    await open.focus();
    if (open.url !== target.href) await open.navigate(target.href).catch(() => undefined);
    return;
  }
  await self.clients.openWindow(target.href);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openUrl(event.notification.data?.url));
});
