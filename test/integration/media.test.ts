import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { AdminOperations } from "../../server/admin/operations.ts";
import { cleanUpMedia } from "../../server/media/cleanup.ts";
import { mediaPath, thumbnailPath } from "../../shared/api/media.ts";
import { newId } from "../../shared/ids.ts";
import { type Attachment, getMessage, sendMessage } from "../../shared/room-doc/index.ts";
import { signUpAll, storedMessageIds, type TestUser } from "../helpers/api-client.ts";
import { backendsUnderTest } from "../helpers/backends.ts";
import { download, executable, PDF_BYTES, phonePhoto, png, upload } from "../helpers/media-fixtures.ts";
import { connectSocket, openDocument } from "../helpers/sync-client.ts";
import { useTestServer } from "../helpers/test-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

const MAX_BYTES = 256 * 1024;
const UPLOADS_PER_HOUR = 8;

const attachmentOf = (media: Attachment & Record<string, unknown>): Attachment => ({
  id: media.id,
  kind: media.kind,
  name: media.name,
  mime: media.mime,
  size: media.size,
  width: media.width,
  height: media.height,
});

describe.each(backendsUnderTest())("media on %s", (backend) => {
  const t = useTestServer(backend, {
    MEDIA_MAX_BYTES: String(MAX_BYTES),
    MEDIA_UPLOADS_PER_HOUR: String(UPLOADS_PER_HOUR),
    MEDIA_MAX_IMAGE_PIXELS: String(4_000_000),
  });
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0)) fn();
  });

  /** ana and ben in a group; cai outside it. */
  async function scene(): Promise<{ ana: TestUser; ben: TestUser; cai: TestUser; roomId: string }> {
    const [ana, ben, cai] = await signUpAll(t.server.url, "ana", "ben", "cai");
    const roomId = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Trail runners", participant_ids: [ben.id] })).body.id;
    return { ana, ben, cai, roomId };
  }
  const stored = () => t.server.context.media.store.list("rooms/");
  const mediaRows = async (id: string) => (await t.server.context.db.query("SELECT id FROM media WHERE id = $1", [id])).rows.length;

  it("takes a photo whatever its name says, upright and without its metadata, with a thumbnail members can read", async () => {
    const { ana, ben, cai, roomId } = await scene();
    const sent = await upload(t.server.url, ana, roomId, "notes.txt", await phonePhoto(400, 200));
    expect(sent.status).toBe(201);
    // Orientation 6 means the camera was turned: upright, the 400 × 200 photo is 200 × 400.
    expect(sent.body).toMatchObject({ kind: "image", mime: "image/jpeg", name: "notes.txt", width: 200, height: 400, room_id: roomId });
    expect(sent.body.url).toBe(mediaPath(sent.body.id));
    expect(sent.body.thumbnail_url).toBe(thumbnailPath(sent.body.id));

    const original = await download(t.server.url, ben, sent.body.url);
    expect(original.status).toBe(200);
    expect(original.headers.get("content-type")).toBe("image/jpeg");
    expect(original.headers.get("x-content-type-options")).toBe("nosniff");
    expect(original.bytes.length).toBe(sent.body.size);
    const meta = await sharp(original.bytes).metadata();
    expect({ width: meta.width, height: meta.height, exif: meta.exif, orientation: meta.orientation }).toEqual({
      width: 200,
      height: 400,
      exif: undefined,
      orientation: undefined,
    });
    expect(original.bytes.includes(Buffer.from("Harbour Road"))).toBe(false);

    const thumbnail = await download(t.server.url, ben, sent.body.thumbnail_url);
    expect(thumbnail.headers.get("content-type")).toBe("image/webp");
    const thumb = await sharp(thumbnail.bytes).metadata();
    expect({ format: thumb.format, width: thumb.width, height: thumb.height }).toEqual({ format: "webp", width: 160, height: 320 });

    // Not a member, not signed in: nothing, and nothing says whether it exists.
    const outsider = await download(t.server.url, cai, sent.body.url);
    expect(outsider.status).toBe(404);
    expect(JSON.parse(outsider.bytes.toString()).error.code).toBe("media_not_found");
    expect((await download(t.server.url, cai, sent.body.thumbnail_url)).status).toBe(404);
    expect((await download(t.server.url, null, sent.body.url)).status).toBe(401);
  });

  it("stops showing a room's media to a member who left it", async () => {
    const { ana, ben, roomId } = await scene();
    const sent = await upload(t.server.url, ana, roomId, "route.png", await png());
    expect((await download(t.server.url, ben, sent.body.url)).status).toBe(200);
    expect((await ben.api.delete(`/api/v1/chat/rooms/${roomId}`)).status).toBeLessThan(300);
    expect((await download(t.server.url, ben, sent.body.url)).status).toBe(404);
  });

  it("keeps files as files, typed by their bytes, offered as downloads", async () => {
    const { ana, ben, roomId } = await scene();
    const pdf = await upload(t.server.url, ana, roomId, "plan.jpg", PDF_BYTES);
    expect(pdf.status).toBe(201);
    expect(pdf.body).toMatchObject({ kind: "file", mime: "application/pdf", width: null, height: null, thumbnail_url: null });
    const gpx = await upload(t.server.url, ana, roomId, "sunday.gpx", Buffer.from("lat,lon\n59.91,10.75\n"));
    expect(gpx.body).toMatchObject({ kind: "file", mime: "text/plain", size: 20 });
    const fetched = await download(t.server.url, ben, pdf.body.url);
    expect(fetched.headers.get("content-type")).toBe("application/pdf");
    expect(fetched.headers.get("content-disposition")).toBe(`attachment; filename="plan.jpg"; filename*=UTF-8''plan.jpg`);
    expect(fetched.bytes.equals(PDF_BYTES)).toBe(true);
    expect((await download(t.server.url, ben, thumbnailPath(pdf.body.id))).status).toBe(404);
  });

  it("refuses an executable named like a photo with 415 media_type_refused, and stores nothing", async () => {
    const { ana, roomId } = await scene();
    const before = await stored();
    const sent = await upload(t.server.url, ana, roomId, "holiday.png", executable());
    expect(sent.status).toBe(415);
    expect(sent.body.error).toMatchObject({ code: "media_type_refused", message: expect.stringContaining("application/x-msdownload") });
    const noise = await upload(t.server.url, ana, roomId, "data.bin", Buffer.from([0, 1, 2, 3, 255, 254, 0, 7, 9]));
    expect(noise.status).toBe(415);
    expect((await upload(t.server.url, ana, roomId, "empty.txt", Buffer.alloc(0))).status).toBe(415);
    expect(await stored()).toEqual(before);
    // Operators see refusals by code.
    const metrics = await (await fetch(`${t.server.url}/metrics`)).text();
    expect(metrics).toMatch(/chat_media_uploads_total\{outcome="media_type_refused"\} [3-9]/);
  });

  it("refuses an upload over MEDIA_MAX_BYTES, and an image over the pixel limit, with 413 media_too_large", async () => {
    const { ana, roomId } = await scene();
    const before = await stored();
    const big = await upload(t.server.url, ana, roomId, "big.txt", Buffer.alloc(MAX_BYTES + 1, "a"));
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ code: "media_too_large", message: expect.stringContaining(String(MAX_BYTES)) });
    // 3000 × 3000 of one colour is a few kilobytes of PNG, and 9 megapixels once decoded.
    const bomb = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: "#fff" } })
      .png()
      .toBuffer();
    expect(bomb.length).toBeLessThan(MAX_BYTES);
    const sent = await upload(t.server.url, ana, roomId, "bomb.png", bomb);
    expect(sent.status).toBe(413);
    expect(sent.body.error.code).toBe("media_too_large");
    expect(await stored()).toEqual(before);
  });

  it("refuses uploads to a room I am not in, and into a direct room a block made read-only", async () => {
    const { ana, ben, cai, roomId } = await scene();
    const outsider = await upload(t.server.url, cai, roomId, "x.png", await png());
    expect(outsider.status).toBe(403);
    expect(outsider.body.error.code).toBe("not_a_member");
    expect((await upload(t.server.url, null, roomId, "x.png", await png())).status).toBe(401);
    expect((await upload(t.server.url, ana, roomId, "", await png())).body.error.code).toBe("invalid_request");

    const direct = (await ana.api.post("/api/v1/chat/rooms", { type: "direct", participant_ids: [ben.id] })).body.id;
    expect((await upload(t.server.url, ana, direct, "x.png", await png())).status).toBe(201);
    await ben.api.post(`/api/v1/chat/friends/block/${ana.id}`);
    const blocked = await upload(t.server.url, ana, direct, "x.png", await png());
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe("blocked");
  });

  it(`limits uploads to ${UPLOADS_PER_HOUR} per user per hour with 429 and Retry-After; a retried id is not counted`, async () => {
    const { ana, ben, roomId } = await scene();
    const image = await png();
    const id = newId();
    const first = await upload(t.server.url, ana, roomId, "a.png", image, { id });
    expect(first.status).toBe(201);
    const retry = await upload(t.server.url, ana, roomId, "a.png", image, { id });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    for (let i = 1; i < UPLOADS_PER_HOUR; i++) expect((await upload(t.server.url, ana, roomId, `${i}.png`, image)).status).toBe(201);
    const over = await upload(t.server.url, ana, roomId, "one-more.png", image);
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe("rate_limited");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    // Counters are per user: ben still uploads; and nobody else may take ana's id.
    expect((await upload(t.server.url, ben, roomId, "b.png", image)).status).toBe(201);
    expect((await upload(t.server.url, ben, roomId, "b.png", image, { id })).body.error.code).toBe("media_id_taken");
  });

  it("over REST, sends a message carrying uploads by id, once each, and only my own uploads to this room", async () => {
    const { ana, ben, roomId } = await scene();
    const photo = (await upload(t.server.url, ana, roomId, "summit.png", await png(80, 40))).body;
    const plan = (await upload(t.server.url, ana, roomId, "plan.pdf", PDF_BYTES)).body;
    const sent = await ana.api.post(`/api/v1/chat/messages/${roomId}`, {
      message_type: "image",
      content: "Made it",
      attachment_ids: [photo.id, plan.id],
    });
    expect(sent.status).toBe(201);
    expect(sent.body.attachments).toEqual([attachmentOf(photo), attachmentOf(plan)]);
    expect(sent.body.media_urls).toEqual([photo.url, plan.url]);
    const listed = (await ben.api.get(`/api/v1/chat/messages/${roomId}`)).body.items.at(-1);
    expect(listed.attachments).toEqual([attachmentOf(photo), attachmentOf(plan)]);

    const again = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { message_type: "image", attachment_ids: [photo.id] });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe("attachment_invalid");
    const bens = (await upload(t.server.url, ben, roomId, "mine.png", await png())).body;
    const notMine = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { message_type: "image", attachment_ids: [bens.id] });
    expect(notMine.body.error.code).toBe("attachment_invalid");
    const eleven = await ana.api.post(`/api/v1/chat/messages/${roomId}`, {
      message_type: "image",
      attachment_ids: Array.from({ length: 11 }, () => newId()),
    });
    expect(eleven.status).toBe(400);
    expect(eleven.body.error).toMatchObject({ code: "invalid_request", message: expect.stringContaining("attachment_ids") });
  });

  it("over the WebSocket, accepts a message carrying my upload as answered, and refuses forged or borrowed attachments", async () => {
    const { ana, ben, roomId } = await scene();
    const otherRoom = (await ben.api.post("/api/v1/chat/rooms", { type: "group", name: "Elsewhere", participant_ids: [ana.id] })).body.id;
    const photo = (await upload(t.server.url, ana, roomId, "summit.png", await png())).body;
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    const room = openDocument(socket, `room:${roomId}`, ana.token);
    await room.synced();
    const id = newId();
    sendMessage(room.doc, {
      id,
      sender_id: ana.id,
      type: "image",
      content: null,
      attachments: [attachmentOf(photo)],
      media_urls: [photo.url],
    });
    await room.saved();
    expect(room.refusals).toEqual([]);
    const seen = await ben.api.get(`/api/v1/chat/messages/${roomId}`);
    expect(seen.body.items.at(-1)).toMatchObject({ id, attachments: [attachmentOf(photo)] });
    // A photo without words still says what it is in the room list.
    await waitFor(async () => {
      const rooms = (await ben.api.get("/api/v1/chat/rooms")).body.items as Array<{
        id: string;
        last_message: { id: string; content: string } | null;
      }>;
      const listed = rooms.find((r) => r.id === roomId)?.last_message;
      return listed?.id === id && listed.content === "📷 Photo";
    }, "the room list to show the photo");

    const refusedWith = async (attachment: Attachment, roomIdToUse = roomId) => {
      const s = connectSocket(t.server.wsUrl);
      cleanup.push(() => s.destroy());
      const r = openDocument(s, `room:${roomIdToUse}`, ana.token);
      await r.synced();
      sendMessage(r.doc, { id: newId(), sender_id: ana.id, type: "image", content: null, attachments: [attachment] });
      await waitFor(() => r.refusals.length > 0, "the refusal");
      return r.refusals[0];
    };
    const second = (await upload(t.server.url, ana, roomId, "two.png", await png(30, 30))).body;
    expect(await refusedWith({ ...attachmentOf(second), size: 1 })).toMatchObject({ code: "attachment_invalid" });
    expect(await refusedWith({ ...attachmentOf(second), kind: "file" })).toMatchObject({ code: "attachment_invalid" });
    expect(await refusedWith(attachmentOf(second), otherRoom)).toMatchObject({ code: "attachment_invalid" });
    expect(await refusedWith(attachmentOf(photo))).toMatchObject({
      code: "attachment_invalid",
      message: expect.stringContaining("another message"),
    });
    const bens = (await upload(t.server.url, ben, roomId, "bens.png", await png())).body;
    expect(await refusedWith(attachmentOf(bens))).toMatchObject({ code: "attachment_invalid" });
    // Eleven at once: sendMessage refuses them, so write the map as another client could.
    const many = Array.from({ length: 11 }, () => attachmentOf(second));
    const s = connectSocket(t.server.wsUrl);
    cleanup.push(() => s.destroy());
    const r = openDocument(s, `room:${roomId}`, ana.token);
    await r.synced();
    const forgedId = newId();
    r.doc.transact(() => {
      const fields = { id: forgedId, sender_id: ana.id, type: "image", content: null, media_urls: [], attachments: many, location: null };
      const more = { reply_to_id: null, created_at: new Date().toISOString(), edited_at: null, deleted: false, system_event: null };
      r.doc.getMap("messages").set(forgedId, new Y.Map<unknown>(Object.entries({ ...fields, ...more })));
    });
    await waitFor(() => r.refusals.length > 0, "the refusal");
    expect(r.refusals[0]).toMatchObject({ code: "update_too_large", message: expect.stringContaining("10 attachments") });
    // The stored document still holds only the accepted message with its one attachment.
    const read = await t.server.context.rooms.read(roomId, (doc) => getMessage(doc, id));
    expect(read?.attachments).toEqual([attachmentOf(photo)]);
  });

  it("cleanup removes uploads never attached after MEDIA_UNATTACHED_HOURS and those of deleted messages, bytes first", async () => {
    const { ana, ben, roomId } = await scene();
    const kept = (await upload(t.server.url, ana, roomId, "kept.png", await png())).body;
    const abandoned = (await upload(t.server.url, ana, roomId, "abandoned.png", await png())).body;
    const fresh = (await upload(t.server.url, ana, roomId, "fresh.png", await png())).body;
    const doomed = (await upload(t.server.url, ana, roomId, "doomed.pdf", PDF_BYTES)).body;
    await ana.api.post(`/api/v1/chat/messages/${roomId}`, { message_type: "image", attachment_ids: [kept.id] });
    const gone = await ana.api.post(`/api/v1/chat/messages/${roomId}`, { message_type: "file", attachment_ids: [doomed.id] });
    await t.server.context.db.query("UPDATE media SET created_at = now() - interval '25 hours' WHERE id = ANY($1::uuid[])", [
      [kept.id, abandoned.id, doomed.id],
    ]);
    expect((await ana.api.delete(`/api/v1/chat/messages/${gone.body.id}`)).status).toBe(204);
    const deleted = (await ben.api.get(`/api/v1/chat/messages/${roomId}`)).body.items.at(-1);
    expect(deleted).toMatchObject({ is_deleted: true, attachments: [], media_urls: [] });

    const result = await cleanUpMedia(t.server.context.db, t.server.context.media.store, 24);
    expect(result?.removed).toBe(2);
    const left = await stored();
    expect(left.filter((key) => key.includes(abandoned.id) || key.includes(doomed.id))).toEqual([]);
    expect(left.filter((key) => key.includes(kept.id))).toHaveLength(2);
    expect(left.filter((key) => key.includes(fresh.id))).toHaveLength(2);
    expect(await mediaRows(abandoned.id)).toBe(0);
    expect((await download(t.server.url, ben, doomed.url)).status).toBe(404);
    expect((await download(t.server.url, ben, kept.thumbnail_url)).status).toBe(200);
  });

  it("erasing a message for good removes its uploads at once, bytes and rows", async () => {
    const { ana, ben, roomId } = await scene();
    await new AdminOperations(t.server.context.db, { name: "cli:test", userId: null }, async () => {}).setAdmin(ana.username, true);
    const photo = (await upload(t.server.url, ben, roomId, "gate-code.png", await png())).body;
    const sent = await ben.api.post(`/api/v1/chat/messages/${roomId}`, { message_type: "image", attachment_ids: [photo.id] });
    const erased = await ana.api.post(`/api/v1/admin/rooms/${roomId}/messages/${sent.body.id}/erase`);
    expect(erased.status).toBe(200);
    expect(erased.body.media_removed).toBe(1);
    expect((await stored()).filter((key) => key.includes(photo.id))).toEqual([]);
    expect(await mediaRows(photo.id)).toBe(0);
    expect((await download(t.server.url, ben, photo.url)).status).toBe(404);
  });

  it("refuses a message id another room already has, so one room's message never decides about another's uploads", async () => {
    const { ana, ben, roomId } = await scene();
    const photo = (await upload(t.server.url, ben, roomId, "bens-photo.png", await png())).body;
    const bens = (await ben.api.post(`/api/v1/chat/messages/${roomId}`, { message_type: "image", attachment_ids: [photo.id] })).body;
    const elsewhere = (await ana.api.post("/api/v1/chat/rooms", { type: "group", name: "Ana alone", participant_ids: [] })).body.id;

    const overRest = await ana.api.post(`/api/v1/chat/messages/${elsewhere}`, { id: bens.id, content: "same id, other room" });
    expect(overRest.status).toBe(409);
    expect(overRest.body.error.code).toBe("message_id_taken");
    const socket = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket.destroy());
    const room = openDocument(socket, `room:${elsewhere}`, ana.token);
    await room.synced();
    sendMessage(room.doc, { id: bens.id, sender_id: ana.id, content: "same id again" });
    await waitFor(() => room.refusals.length > 0, "the refusal");
    expect(room.refusals[0]).toMatchObject({ code: "message_id_taken", message: expect.stringContaining("nother room") });
    // Nothing of it was stored; the same id sent again is refused at once; her room still takes a new message.
    const socket2 = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket2.destroy());
    const again = openDocument(socket2, `room:${elsewhere}`, ana.token);
    await again.synced();
    expect(await storedMessageIds(ana.api, elsewhere)).not.toContain(bens.id);
    sendMessage(again.doc, { id: bens.id, sender_id: ana.id, content: "and once more" });
    await waitFor(() => again.refusals.length > 0, "the second refusal");
    expect(again.refusals[0]?.code).toBe("message_id_taken");
    const socket3 = connectSocket(t.server.wsUrl);
    cleanup.push(() => socket3.destroy());
    const fresh = openDocument(socket3, `room:${elsewhere}`, ana.token);
    await fresh.synced();
    const mine = sendMessage(fresh.doc, { sender_id: ana.id, content: "a new id" });
    await waitFor(async () => (await storedMessageIds(ana.api, elsewhere)).includes(mine.id), "her new message to be stored");
    expect((await ben.api.get(`/api/v1/chat/messages/${roomId}`)).body.items.map((m: { id: string }) => m.id)).toContain(bens.id);

    // Ben's photo is untouched by any of it, and cleanup keeps it.
    await cleanUpMedia(t.server.context.db, t.server.context.media.store, 24);
    expect((await download(t.server.url, ben, photo.url)).status).toBe(200);
  });

  it("cleanup keeps the uploads of a deleted message while a report about it is open", async () => {
    const { ana, ben, roomId } = await scene();
    await new AdminOperations(t.server.context.db, { name: "cli:test", userId: null }, async () => {}).setAdmin(ana.username, true);
    const photo = (await upload(t.server.url, ben, roomId, "rude.png", await png())).body;
    const sent = (await ben.api.post(`/api/v1/chat/messages/${roomId}`, { message_type: "image", attachment_ids: [photo.id] })).body;
    const report = (await ana.api.post("/api/v1/reports", { message_id: sent.id, reason: "harassment" })).body;
    expect((await ben.api.delete(`/api/v1/chat/messages/${sent.id}`)).status).toBe(204);
    await cleanUpMedia(t.server.context.db, t.server.context.media.store, 24);
    // The admin reviewing the report still sees what was sent.
    expect((await download(t.server.url, ana, photo.url)).status).toBe(200);
    await ana.api.post(`/api/v1/admin/reports/${report.id}/resolve`, { action: "dismiss" });
    expect((await cleanUpMedia(t.server.context.db, t.server.context.media.store, 24)).removed).toBe(1);
    expect((await download(t.server.url, ana, photo.url)).status).toBe(404);
  });
});
