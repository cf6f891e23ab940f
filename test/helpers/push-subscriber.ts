import { createECDH, randomBytes } from "node:crypto";
import * as ece from "http_ece";
import { type PushPayload, pushPayloadSchema } from "../../shared/api/push.ts";
import type { PushRecorder, RecordedPush } from "./push-recorder.ts";

/** A browser's push subscription with the private half of its keys, so a test can read what it is sent. */
export interface FakeSubscription {
  /** What `PushSubscription.toJSON()` gives, to POST to /api/v1/push/subscriptions. */
  json: { endpoint: string; keys: { p256dh: string; auth: string } };
  endpoint: string;
  /** Decrypt an aes128gcm push body (RFC 8291) and parse it as the payload schema. */
  read(push: RecordedPush): PushPayload;
}

/** A new subscription whose endpoint is a fresh path on `recorder`, with real P-256 keys. */
export function fakeSubscription(recorder: PushRecorder, name: string): FakeSubscription {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const authSecret = randomBytes(16);
  const endpoint = `${recorder.url}/push/${name}-${randomBytes(4).toString("hex")}`;
  return {
    json: { endpoint, keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: authSecret.toString("base64url") } },
    endpoint,
    read: (push) => {
      const plain = ece.decrypt(push.body, { version: "aes128gcm", privateKey: ecdh, authSecret });
      return pushPayloadSchema.parse(JSON.parse(plain.toString("utf8")));
    },
  };
}
