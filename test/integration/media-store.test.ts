import { createHash, randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanUpMedia } from "../../server/media/cleanup.ts";
import { LocalMediaStore } from "../../server/media/local-store.ts";
import type { MediaStore } from "../../server/media/media-store.ts";
import { S3MediaStore } from "../../server/media/s3-store.ts";
import { type MediaResponse, thumbnailPath } from "../../shared/api/media.ts";
import { signUpAll, type TestUser } from "../helpers/api-client.ts";
import { download, png, upload } from "../helpers/media-fixtures.ts";
import { useTestServer } from "../helpers/test-server.ts";

// s3rver (a real S3-compatible server, on the local disk) is CommonJS and ships no types.
interface S3rverOptions {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: Array<{ name: string }>;
}
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)("s3rver") as new (options: S3rverOptions) => S3rverInstance;

const BUCKET = "media";
const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/** s3rver on 127.0.0.1, on a port of its own, over a new folder holding one empty bucket. */
async function startS3rver(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "s3rver-"));
  const s3rver = new S3rver({ address: "127.0.0.1", port: 0, directory, silent: true, configureBuckets: [{ name: BUCKET }] });
  const { port } = await s3rver.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      await s3rver.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A raw client of the bucket, to look at it without the store in between. */
function rawClient(endpoint: string): S3Client {
  return new S3Client({ region: "us-east-1", endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
}

/** Every key in the bucket under `prefix`, exactly as S3 names it. */
async function bucketKeys(client: S3Client, prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])).sort();
}

/** What the store holds under `key`, read to the end, and the size it gave; throws when it holds nothing. */
async function read(store: MediaStore, key: string): Promise<{ size: number; bytes: Buffer }> {
  const object = await store.get(key);
  if (!object) throw new Error(`nothing stored under ${key}`);
  return { size: object.size, bytes: await buffer(object.body) };
}
const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

interface OpenedStore {
  store: MediaStore;
  close(): Promise<void>;
}

interface Implementation {
  name: string;
  open(): Promise<OpenedStore>;
  /** Only the folder can be asked to reach outside itself; S3 keys are just names. */
  folderRoot?: () => string;
}

let localRoot = "";
const implementations: Implementation[] = [
  {
    name: "local folder",
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "media-store-"));
      // The store's folder sits inside the temporary one, so a key escaping it would land beside it.
      localRoot = path.join(dir, "media");
      const store = new LocalMediaStore(localRoot);
      return {
        store,
        async close() {
          store.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    folderRoot: () => localRoot,
  },
  {
    name: "S3-compatible (s3rver)",
    async open() {
      const s3 = await startS3rver();
      const store = new S3MediaStore({
        bucket: BUCKET,
        region: "us-east-1",
        endpoint: s3.endpoint,
        ...S3RVER_CREDENTIALS,
        forcePathStyle: true,
        prefix: "contract/",
      });
      return {
        store,
        async close() {
          store.close();
          await s3.stop();
        },
      };
    },
  },
];

describe.each(implementations)("media store contract: $name", ({ open, folderRoot }) => {
  let opened: OpenedStore | undefined;
  const store = (): MediaStore => {
    if (!opened) throw new Error("the store did not open");
    return opened.store;
  };
  beforeAll(async () => {
    opened = await open();
  });
  afterAll(async () => {
    await opened?.close();
  });

  // Each test writes under a prefix of its own, so the tests share one store without seeing each other.
  const area = (name: string) => `${name}-${randomUUID()}`;

  it("get returns the bytes put under a key, and their size", async () => {
    const key = `${area("roundtrip")}/note`;
    const bytes = Buffer.from("the summit at 7, bring water");
    await store().put(key, bytes, "text/plain");

    expect(await read(store(), key)).toEqual({ size: bytes.length, bytes });
  });

  it("get of a key that holds nothing is null", async () => {
    expect(await store().get(`${area("missing")}/nothing-here`)).toBeNull();
  });

  it("put replaces what was under the key", async () => {
    const key = `${area("replace")}/photo`;
    await store().put(key, Buffer.from("the first, longer version of the bytes"), "application/octet-stream");
    const second = Buffer.from("second");
    await store().put(key, second, "application/octet-stream");

    expect(await read(store(), key)).toEqual({ size: second.length, bytes: second });
    expect(await store().list(key)).toEqual([key]);
  });

  it("delete removes the keys given and leaves the others; keys that hold nothing are fine", async () => {
    const base = area("delete");
    const [first, second, kept] = [`${base}/first`, `${base}/second`, `${base}/kept`];
    for (const key of [first, second, kept]) await store().put(key, Buffer.from(key), "text/plain");

    await store().delete([first, second, `${base}/never-stored`]);
    expect(await store().get(first)).toBeNull();
    expect(await store().get(second)).toBeNull();
    expect(await store().list(`${base}/`)).toEqual([kept]);

    // Deleting again, or nothing at all, is not an error.
    await expect(store().delete([first, second])).resolves.toBeUndefined();
    await expect(store().delete([])).resolves.toBeUndefined();
    expect((await read(store(), kept)).bytes).toEqual(Buffer.from(kept));
  });

  it("list(prefix) returns exactly the keys under the prefix, sorted, and no others", async () => {
    const base = area("list");
    const under = [`${base}/a/z`, `${base}/a/10`, `${base}/a/2`, `${base}/a/B`, `${base}/a/deeper/1`];
    // A sibling whose name starts like the prefix, and one elsewhere: neither is under `${base}/a/`.
    const notUnder = [`${base}/ab/1`, `${base}/b/a/1`];
    for (const key of [...notUnder, ...under]) await store().put(key, Buffer.from("x"), "text/plain");

    expect(await store().list(`${base}/a/`)).toEqual([...under].sort());
    expect(await store().list(`${base}/`)).toEqual([...under, ...notUnder].sort());
    expect(await store().list(`${area("list-empty")}/`)).toEqual([]);
  });

  it("keys in nested folders (rooms/<room>/<upload>/original and thumbnail.webp) are stored, read, listed and deleted", async () => {
    const [room, upload] = [randomUUID(), randomUUID()];
    const original = `rooms/${room}/${upload}/original`;
    const thumbnail = `rooms/${room}/${upload}/thumbnail.webp`;
    await store().put(thumbnail, Buffer.from("thumbnail bytes"), "image/webp");
    await store().put(original, Buffer.from("original bytes"), "image/png");

    expect((await read(store(), original)).bytes).toEqual(Buffer.from("original bytes"));
    expect((await read(store(), thumbnail)).bytes).toEqual(Buffer.from("thumbnail bytes"));
    expect(await store().list(`rooms/${room}/`)).toEqual([original, thumbnail]);
    expect(await store().list(`rooms/${room}/${upload}/`)).toEqual([original, thumbnail]);

    await store().delete([original, thumbnail]);
    expect(await store().list(`rooms/${room}/`)).toEqual([]);
  });

  it("a 3 MiB buffer round-trips intact", async () => {
    const key = `${area("large")}/video.bin`;
    const bytes = randomBytes(3 * 1024 * 1024);
    await store().put(key, bytes, "application/octet-stream");

    const stored = await read(store(), key);
    expect(stored.size).toBe(bytes.length);
    expect(stored.bytes.length).toBe(bytes.length);
    // Compared by digest: a mismatch in 3 MiB would otherwise print all of it.
    expect(sha256(stored.bytes)).toBe(sha256(bytes));
  });

  if (folderRoot) {
    it("refuses a key that would reach outside its folder", async () => {
      const outside = ["../x", "../media-sibling/x", "rooms/../../x", path.join(os.tmpdir(), "x")];
      for (const key of outside) {
        await expect(store().put(key, Buffer.from("escaped"), "text/plain"), key).rejects.toThrow(/outside the store/);
        await expect(store().get(key), key).rejects.toThrow(/outside the store/);
        await expect(store().delete([key]), key).rejects.toThrow(/outside the store/);
      }
      const beside = path.dirname(folderRoot());
      expect(fs.existsSync(path.join(beside, "x"))).toBe(false);
      expect(fs.existsSync(path.join(beside, "media-sibling"))).toBe(false);
    });
  }
});

describe("media on the real server, stored in an S3-compatible bucket (s3rver)", () => {
  // useTestServer reads its env when its beforeAll runs: this one, registered first, fills it in.
  // Hooks are a stack, so afterAll runs the other way round: the server stops before s3rver does.
  const env: Record<string, string> = {};
  let s3: Awaited<ReturnType<typeof startS3rver>> | undefined;
  let raw: S3Client | undefined;
  beforeAll(async () => {
    s3 = await startS3rver();
    raw = rawClient(s3.endpoint);
    Object.assign(env, {
      MEDIA_S3_BUCKET: BUCKET,
      MEDIA_S3_ENDPOINT: s3.endpoint,
      MEDIA_S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      MEDIA_S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      MEDIA_S3_PREFIX: "test/",
    });
  });
  afterAll(async () => {
    raw?.destroy();
    await s3?.stop();
  });
  const t = useTestServer("pglite", env);
  const bucket = () => {
    if (!raw) throw new Error("s3rver did not start");
    return raw;
  };

  /** ana and ben in a group room, and a PNG ana uploaded to it. */
  async function scene(): Promise<{ ana: TestUser; ben: TestUser; roomId: string; photo: MediaResponse }> {
    const [ana, ben] = await signUpAll(t.server.url, "ana", "ben");
    const room = await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Trail runners", participant_ids: [ben.id] });
    expect(room.status).toBe(201);
    const sent = await upload(t.server.url, ana, room.body.id, "summit.png", await png());
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ kind: "image", mime: "image/png", room_id: room.body.id });
    return { ana, ben, roomId: room.body.id, photo: sent.body };
  }

  it("keeps an upload and its thumbnail in the bucket under MEDIA_S3_PREFIX, and members download both", async () => {
    expect(t.server.context.media.store.kind).toBe("s3");
    const { ben, roomId, photo } = await scene();

    const original = await download(t.server.url, ben, photo.url);
    expect(original.status).toBe(200);
    expect(original.headers.get("content-type")).toBe("image/png");
    expect(original.bytes.length).toBe(photo.size);
    expect(original.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(photo.thumbnail_url).toBe(thumbnailPath(photo.id));
    const thumbnail = await download(t.server.url, ben, thumbnailPath(photo.id));
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get("content-type")).toBe("image/webp");
    expect(thumbnail.bytes.subarray(8, 12).toString("latin1")).toBe("WEBP");

    // rooms/<room>/<upload>/<attempt>/original and …/thumbnail.webp: each attempt has its own folder.
    const keys = (await t.server.context.media.store.list("rooms/")).filter((key) => key.includes(photo.id));
    expect(keys).toEqual([
      expect.stringMatching(new RegExp(`^rooms/${roomId}/${photo.id}/[0-9a-f]{8}/original$`)),
      expect.stringMatching(new RegExp(`^rooms/${roomId}/${photo.id}/[0-9a-f]{8}/thumbnail\\.webp$`)),
    ]);
    const inBucket = await bucketKeys(bucket(), "test/rooms/");
    expect(inBucket.filter((key) => key.includes(photo.id))).toEqual(keys.map((key) => `test/${key}`));
    // Nothing the server wrote is outside its prefix.
    for (const key of await bucketKeys(bucket(), "")) expect(key.startsWith("test/")).toBe(true);
  });

  it("once the message carrying an upload is deleted, cleanup removes its objects from the bucket", async () => {
    const { ana, ben, roomId, photo } = await scene();
    const message = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { message_type: "image", attachment_ids: [photo.id] });
    expect(message.status).toBe(201);
    expect(await bucketKeys(bucket(), `test/rooms/${roomId}/`)).toHaveLength(2);

    expect((await ana.api.delete(`/api/v1/chat/messages/${message.body.id}`)).status).toBe(204);
    const result = await cleanUpMedia(t.server.context.db, t.server.context.media.store, 24);
    expect(result).toMatchObject({ removed: 1 });

    expect(await bucketKeys(bucket(), `test/rooms/${roomId}/`)).toEqual([]);
    expect(await t.server.context.media.store.list(`rooms/${roomId}/`)).toEqual([]);
    expect((await download(t.server.url, ben, photo.url)).status).toBe(404);
  });
});
