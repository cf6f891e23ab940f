/**
 * Text PostgreSQL can hold: `text` and `jsonb` refuse U+0000, and a lone UTF-16 surrogate has no
 * UTF-8 encoding (pg would store U+FFFD or fail). Every string a client writes is checked with
 * these at the door, so nothing accepted can fail a later step.
 */
export function isStorableText(value: string): boolean {
  return !value.includes("\u0000") && value.isWellFormed();
}

/** The first string anywhere inside `value` (keys included) that is not storable, or null. */
export function firstUnstorableText(value: unknown): string | null {
  if (typeof value === "string") return isStorableText(value) ? null : value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const bad = firstUnstorableText(v);
      if (bad !== null) return bad;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const bad = firstUnstorableText(k) ?? firstUnstorableText(v);
      if (bad !== null) return bad;
    }
  }
  return null;
}

/**
 * `value` made storable: NUL and lone surrogates become U+FFFD. Only for what an older version
 * let in (a stored room being loaded, mirrored or repaired); new writes are refused instead.
 */
export function toStorableText(value: string): string {
  return isStorableText(value) ? value : value.replaceAll("\u0000", "\uFFFD").toWellFormed();
}

/** JSON for a `jsonb` parameter, every string in it made storable. */
export function storableJson(value: unknown): string {
  // JSON.stringify escapes NUL and lone surrogates (\u0000, \udXXX): text without those escapes
  // is stored as it is, and only the rare rest is rewritten value by value (the server's hot
  // path mirrors every message).
  const json = JSON.stringify(value);
  if (json === undefined || !UNSTORABLE_ESCAPE.test(json)) return json;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "string" ? toStorableText(v) : v));
}

const UNSTORABLE_ESCAPE = /\\u(0000|d[89a-f])/i;
