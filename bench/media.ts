/**
 * What an upload costs the server: a phone-sized photo (sniffed, made upright, re-encoded without
 * its metadata, thumbnailed, stored) against a file of the same size that is only sniffed and
 * stored, then reading thumbnails back and a cleanup pass over abandoned uploads. Uploads go one
 * after another over HTTP to a spawned server; CPU is the server process's user + sys time.
 */
import sharp from "sharp";
import { loadConfig } from "../server/config.ts";
import { openPostgres } from "../server/db/postgres.ts";
import { cleanUpMedia } from "../server/media/cleanup.ts";
import { openMediaStore } from "../server/media/media-library.ts";
import { signUp } from "../test/helpers/api-client.ts";
import { type Backend, createThrowawayDatabase } from "../test/helpers/backends.ts";
import { download, upload } from "../test/helpers/media-fixtures.ts";
import { spawnServer } from "../test/helpers/server-process.ts";
import { cpuSeconds } from "./process-cpu.ts";
import { percentile, progress } from "./stats.ts";

const IMAGES = Number(process.env.BENCH_MEDIA_IMAGES ?? 20);
const FILES = Number(process.env.BENCH_MEDIA_FILES ?? 40);
const ORPHANS = Number(process.env.BENCH_MEDIA_ORPHANS ?? 300);

/** A 12-megapixel photo with grain, as a phone takes it: a JPEG of a few megabytes. */
async function phonePhoto(): Promise<Buffer> {
  return sharp({
    create: { width: 4032, height: 3024, channels: 3, background: "#6a8", noise: { type: "gaussian", mean: 120, sigma: 18 } },
  })
    .jpeg({ quality: 80 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

interface Row {
  what: string;
  count: number;
  bytes: number;
  p50: number;
  p99: number;
  cpuMs: number;
}

/** Upload `count` copies of `bytes`, one after another; latency per upload and server CPU per upload. */
async function uploads(what: string, count: number, bytes: Buffer, send: (i: number) => Promise<number>, pid: number): Promise<Row> {
  const latencies: number[] = [];
  const cpuBefore = cpuSeconds(pid);
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const status = await send(i);
    if (status !== 201) throw new Error(`${what}: upload answered ${status}`);
    latencies.push(performance.now() - started);
  }
  const cpuMs = ((cpuSeconds(pid) - cpuBefore) * 1000) / count;
  return { what, count, bytes: bytes.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpuMs };
}

export async function mediaFigures(backend: Backend): Promise<void> {
  progress(`media on ${backend}`);
  const database = await createThrowawayDatabase(backend);
  const server = await spawnServer({
    ...(database.env as Record<string, string>),
    MEDIA_UPLOADS_PER_HOUR: "100000",
    MEDIA_UNATTACHED_HOURS: "0",
    LOG_LEVEL: "info",
  });
  try {
    const pid = server.child.pid as number;
    const ana = await signUp(server.url, "ana");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Bench", participant_ids: [] })).body.id as string;
    const photo = await phonePhoto();
    // Same size, no image work: text bytes are sniffed as a plain file.
    const file = Buffer.alloc(photo.length, "split 1: 4:55/km\n");
    const rows: Row[] = [];
    const imageIds: string[] = [];
    rows.push(
      await uploads(
        "12 MP JPEG photo",
        IMAGES,
        photo,
        async (i) => {
          const sent = await upload(server.url, ana, roomId, `photo-${i}.jpg`, photo);
          imageIds.push(sent.body.id);
          return sent.status;
        },
        pid,
      ),
    );
    rows.push(
      await uploads("file, same size", FILES, file, async (i) => (await upload(server.url, ana, roomId, `log-${i}.txt`, file)).status, pid),
    );

    const thumbs: number[] = [];
    let thumbBytes = 0;
    const cpuBefore = cpuSeconds(pid);
    for (const id of imageIds) {
      const started = performance.now();
      const got = await download(server.url, ana, `/api/v1/media/${id}/thumbnail`);
      thumbs.push(performance.now() - started);
      thumbBytes = got.bytes.length;
    }
    rows.push({
      what: "thumbnail read",
      count: imageIds.length,
      bytes: thumbBytes,
      p50: percentile(thumbs, 50),
      p99: percentile(thumbs, 99),
      cpuMs: ((cpuSeconds(pid) - cpuBefore) * 1000) / imageIds.length,
    });
    console.log(`\nMedia on ${backend} (local store; uploads one after another):`);
    console.table(
      rows.map((r) => ({
        what: r.what,
        count: r.count,
        "bytes each": r.bytes,
        "p50 ms": r.p50.toFixed(1),
        "p99 ms": r.p99.toFixed(1),
        "server CPU ms each": r.cpuMs.toFixed(1),
      })),
    );

    // Cleanup: abandoned uploads (MEDIA_UNATTACHED_HOURS=0 makes every unattached one due).
    const small = Buffer.from("abandoned draft\n");
    for (let i = 0; i < ORPHANS; i++) await upload(server.url, ana, roomId, `draft-${i}.txt`, small);
    if (backend === "postgres" && database.env.DATABASE_URL) {
      const db = openPostgres(database.env.DATABASE_URL);
      const store = openMediaStore(loadConfig({ ...database.env }));
      const started = performance.now();
      const result = await cleanUpMedia(db, store, 0);
      const ms = performance.now() - started;
      console.log(
        `  cleanup pass (every upload above is unattached and due): removed ${result.removed} uploads, ${(result.bytes / 1e6).toFixed(1)} MB, in ${ms.toFixed(0)} ms (${(ms / Math.max(1, result.removed)).toFixed(2)} ms each)`,
      );
      await db.close();
    }
  } finally {
    await server.stop();
    await database.drop();
  }
}
