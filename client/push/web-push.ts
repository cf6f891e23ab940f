import type { PushConfigResponse, PushSubscriptionCreate } from "../../shared/api/push.ts";
import type { Api } from "../api/http.ts";

/** Where this device stands with notifications for the signed-in user. */
export type PushState = "unsupported" | "denied" | "off" | "on";

// How long to wait for the service worker; it only runs in a production build (vite-plugin-pwa).
const WORKER_TIMEOUT_MS = 10_000;

// Per user and device: "on" or "off" once they chose, absent before. Kept across logins, so a user
// who turned notifications on gets them again after logging back in, and one who said no is not asked again.
const choiceKey = (userId: string) => `chat.push.${userId}`;

/** What the user chose on this device (null: never asked). */
export function pushChoice(userId: string): "on" | "off" | null {
  const value = localStorage.getItem(choiceKey(userId));
  return value === "on" || value === "off" ? value : null;
}

/** Remember that the user does not want to be asked again (the settings screen still offers it). */
export function declinePush(userId: string): void {
  localStorage.setItem(choiceKey(userId), "off");
}

/** Whether this browser can receive Web Push at all. */
export function pushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** This device's state for `userId`: on only when permitted, subscribed and chosen. */
export async function pushState(userId: string): Promise<PushState> {
  if (!pushSupported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  if (Notification.permission !== "granted" || pushChoice(userId) !== "on") return "off";
  const registration = await navigator.serviceWorker.getRegistration();
  return (await registration?.pushManager.getSubscription()) ? "on" : "off";
}

/**
 * Ask for permission and subscribe this device. Call it from a click: browsers only show the
 * permission prompt for a user's gesture, and asking unprompted on load gets it denied for good.
 */
export async function enablePush(api: Api, userId: string): Promise<PushState> {
  if (!pushSupported()) return "unsupported";
  const permission = await Notification.requestPermission();
  if (permission === "denied") return "denied";
  if (permission !== "granted") return "off";
  await subscribeThisDevice(api);
  localStorage.setItem(choiceKey(userId), "on");
  return "on";
}

/** Unsubscribe this device and remember that the user turned notifications off here. */
export async function disablePush(api: Api, userId: string): Promise<void> {
  await forgetThisDevice(api);
  declinePush(userId);
}

/**
 * At logout: stop this device getting the user's notifications (the next person on it must not),
 * leaving their choice for when they log back in. Best effort: offline, the server forgets the
 * subscription once its push service reports it gone.
 */
export async function forgetThisDevice(api: Api): Promise<void> {
  if (!pushSupported()) return;
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = await registration?.pushManager.getSubscription();
  if (!subscription) return;
  await api.request("DELETE", "/api/v1/push/subscriptions", { endpoint: subscription.endpoint }).catch(() => {});
  await subscription.unsubscribe().catch(() => false);
}

/**
 * On start, for a user who turned notifications on: post the subscription again, so the server
 * has it after a login on this device or after the push service rotated the endpoint.
 */
export async function refreshPush(api: Api, userId: string): Promise<void> {
  if (!pushSupported() || Notification.permission !== "granted" || pushChoice(userId) !== "on") return;
  await subscribeThisDevice(api);
}

async function subscribeThisDevice(api: Api): Promise<void> {
  const { public_key } = await api.get<PushConfigResponse>("/api/v1/push/config");
  const key = base64UrlBytes(public_key);
  const registration = await serviceWorker();
  let subscription = await registration.pushManager.getSubscription();
  // A subscription made for another server key (the server's keys changed) cannot be sent to.
  if (subscription && !sameBytes(subscription.options.applicationServerKey, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  await api.post("/api/v1/push/subscriptions", subscription.toJSON() as PushSubscriptionCreate);
}

async function serviceWorker(): Promise<ServiceWorkerRegistration> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("Notifications need the app's service worker, which is not running.")), WORKER_TIMEOUT_MS);
  });
  try {
    return await Promise.race([navigator.serviceWorker.ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function base64UrlBytes(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function sameBytes(buffer: ArrayBuffer | null, bytes: Uint8Array): boolean {
  if (!buffer || buffer.byteLength !== bytes.length) return false;
  const view = new Uint8Array(buffer);
  return view.every((b, i) => b === bytes[i]);
}
