import webpush from "web-push";
import { refusedPushEndpoint } from "./endpoint-policy.ts";
import type { PushDelivery } from "./payload.ts";
import type { StoredSubscription } from "./subscriptions.ts";
import type { VapidKeys } from "./vapid-keys.ts";

// How long a push service keeps a push for an offline device: a day-old chat ping is stale.
const TTL_SECONDS = 24 * 3600;
// A push service that does not answer in this time is given up on for this push.
const SEND_TIMEOUT_MS = 10_000;

/** What became of one push: delivered to the push service, the subscription is gone, or it failed. */
export type SendOutcome = { sent: true } | { sent: false; gone: boolean; reason: string };

/** How this server sends: its keys, who to contact, and whether insecure endpoints are allowed (tests). */
export interface SendSettings {
  keys: VapidKeys;
  subject: string;
  allowInsecureEndpoints: boolean;
}

/**
 * Send one push. web-push does the protocol (aes128gcm encryption to the subscription's keys, the
 * VAPID signature, TTL, Topic, Urgency); the POST itself is ours, because web-push's own request
 * is https-only (tests post to a loopback http recorder) and follows no policy: redirects are not
 * followed (a push service never redirects; a redirect would be a way past the endpoint check),
 * and a slow service is cut off. A 404 or 410 means the subscription is gone for good.
 */
export async function sendPush(subscription: StoredSubscription, delivery: PushDelivery, settings: SendSettings): Promise<SendOutcome> {
  const refused = refusedPushEndpoint(subscription.endpoint, settings.allowInsecureEndpoints);
  if (refused) return { sent: false, gone: false, reason: refused };
  let request: ReturnType<typeof webpush.generateRequestDetails>;
  try {
    request = webpush.generateRequestDetails(
      { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
      JSON.stringify(delivery.payload),
      {
        vapidDetails: { subject: settings.subject, publicKey: settings.keys.publicKey, privateKey: settings.keys.privateKey },
        TTL: TTL_SECONDS,
        topic: delivery.topic,
        urgency: delivery.urgency,
        contentEncoding: "aes128gcm",
      },
    );
  } catch (error) {
    // Keys that are not a P-256 point cannot be encrypted for, now or later.
    return { sent: false, gone: true, reason: `cannot encrypt for this subscription: ${String(error)}` };
  }
  // fetch sets Content-Length itself from the body.
  const headers = Object.fromEntries(
    Object.entries(request.headers)
      .filter(([name]) => name.toLowerCase() !== "content-length")
      .map(([name, value]) => [name, String(value)]),
  );
  try {
    const response = await fetch(request.endpoint, {
      method: "POST",
      headers,
      body: request.body ? new Uint8Array(request.body) : null,
      redirect: "manual",
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { sent: true };
    return { sent: false, gone: response.status === 404 || response.status === 410, reason: `push service answered ${response.status}` };
  } catch (error) {
    return { sent: false, gone: false, reason: String(error) };
  }
}
