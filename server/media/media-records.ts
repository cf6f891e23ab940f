import type { MediaResponse } from "../../shared/api/media.ts";
import { mediaPath, thumbnailPath } from "../../shared/api/media.ts";
import type { Attachment } from "../../shared/room-doc/index.ts";
import type { Queryable } from "../db/database.ts";

/** A row of `media`: one upload. */
export interface MediaRow {
  id: string;
  room_id: string;
  uploader_id: string;
  kind: "image" | "file";
  name: string;
  mime: string;
  size: number;
  width: number | null;
  height: number | null;
  storage_key: string;
  thumbnail_key: string | null;
  message_id: string | null;
  created_at: string;
}

const COLUMNS = `id, room_id, uploader_id, kind, name, mime, size::float8 AS size, width, height, storage_key, thumbnail_key,
  message_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at`;

/** The attachment a message carries for this upload: exactly these fields, as the room document holds them. */
export function attachmentOf(row: MediaRow): Attachment {
  return { id: row.id, kind: row.kind, name: row.name, mime: row.mime, size: row.size, width: row.width, height: row.height };
}

/** What the upload route answers. */
export function mediaResponseOf(row: MediaRow): MediaResponse {
  return {
    ...attachmentOf(row),
    room_id: row.room_id,
    url: mediaPath(row.id),
    thumbnail_url: row.thumbnail_key ? thumbnailPath(row.id) : null,
    created_at: row.created_at,
  };
}

export async function insertMedia(db: Queryable, row: Omit<MediaRow, "message_id" | "created_at">): Promise<MediaRow | null> {
  const { rows } = await db.query<MediaRow>(
    `INSERT INTO media (id, room_id, uploader_id, kind, name, mime, size, width, height, storage_key, thumbnail_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      row.id,
      row.room_id,
      row.uploader_id,
      row.kind,
      row.name,
      row.mime,
      row.size,
      row.width,
      row.height,
      row.storage_key,
      row.thumbnail_key,
    ],
  );
  return rows[0] ?? null;
}

export async function findMedia(db: Queryable, id: string): Promise<MediaRow | null> {
  const { rows } = await db.query<MediaRow>(`SELECT ${COLUMNS} FROM media WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

export async function findMediaMany(db: Queryable, ids: string[]): Promise<MediaRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<MediaRow>(`SELECT ${COLUMNS} FROM media WHERE id = ANY($1::uuid[])`, [ids]);
  return rows;
}

/** Thrown inside an append when an upload was attached to another message meanwhile (another process). */
export class AttachmentConflict extends Error {}

/**
 * Record that `messageId` carries the uploads `mediaIds`, inside the append's transaction; throws
 * AttachmentConflict when one of them already belongs to another message.
 */
export async function claimMedia(tx: Queryable, messageId: string, mediaIds: string[]): Promise<void> {
  if (mediaIds.length === 0) return;
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE media SET message_id = $1, attached_at = COALESCE(attached_at, now())
      WHERE id = ANY($2::uuid[]) AND (message_id IS NULL OR message_id = $1)
      RETURNING id`,
    [messageId, mediaIds],
  );
  if (rows.length !== new Set(mediaIds).size) throw new AttachmentConflict("an upload is attached to another message");
}

/** Undo a claim whose message was not stored after all (its write was refused). */
export async function releaseMedia(db: Queryable, messageId: string, mediaIds: string[]): Promise<void> {
  if (mediaIds.length === 0) return;
  await db.query("UPDATE media SET message_id = NULL, attached_at = NULL WHERE message_id = $1 AND id = ANY($2::uuid[])", [
    messageId,
    mediaIds,
  ]);
}
