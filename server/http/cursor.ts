/**
 * Opaque list cursors: the sort key of a page's last row, base64url-encoded. A cursor this server
 * did not make decodes to null, and the route answers 400 rather than guessing.
 */
export function encodeCursor(...parts: string[]): string {
  return Buffer.from(parts.join("|")).toString("base64url");
}

/** The `count` parts of a cursor, or null when it is not one of ours. */
export function decodeCursor(cursor: string, count: number): string[] | null {
  const parts = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  return parts.length === count && parts.every((p) => p.length > 0 && p.length <= 200) ? parts : null;
}

/** A `(time, uuid)` cursor, with the time as PostgreSQL prints a timestamptz; null when malformed. */
export function decodeTimeCursor(cursor: string): [string, string] | null {
  const [at, id] = decodeCursor(cursor, 2) ?? [];
  if (!at || !id || !/^\d{4}-\d{2}-\d{2} [\d:.]+[+-]\d{2}(:\d{2})?$/.test(at) || !/^[0-9a-f-]{36}$/i.test(id)) return null;
  return [at, id];
}
