import * as encoding from "lib0/encoding";

/** A small seeded random source (mulberry32), so a failing fuzz run can be replayed from its seed. */
export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error("pick from an empty list");
    return list[this.int(list.length)] as T;
  }

  bytes(length: number): Uint8Array {
    return Uint8Array.from({ length }, () => this.int(256));
  }

  /** A Yjs client id: a random unsigned 32-bit number. */
  clientId(): number {
    return this.int(2 ** 32);
  }
}

const utf8 = new TextEncoder();

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Replace every occurrence of the string `from` by `to` in an encoded update. Both must have the
 * same UTF-8 length, so the encoding stays well formed and only the value changes: a field
 * mutated in place, as a hostile client would write it. Null when `from` does not occur.
 */
export function substitute(update: Uint8Array, from: string, to: string): Uint8Array | null {
  const a = utf8.encode(from);
  const b = utf8.encode(to);
  if (a.length !== b.length) throw new Error(`"${from}" and "${to}" differ in length`);
  const out = update.slice();
  let found = false;
  for (let at = indexOfBytes(out, a); at !== -1; at = indexOfBytes(out, a, at + a.length)) {
    out.set(b, at);
    found = true;
  }
  return found ? out : null;
}

/** Runs of at least `min` printable ASCII bytes in an update: its strings (keys, ids, values). */
export function asciiRuns(update: Uint8Array, min = 3): Array<{ at: number; length: number }> {
  const runs: Array<{ at: number; length: number }> = [];
  let start = -1;
  for (let i = 0; i <= update.length; i++) {
    const byte = update[i];
    const printable = byte !== undefined && byte >= 0x20 && byte < 0x7f;
    if (printable && start === -1) start = i;
    if (!printable && start !== -1) {
      if (i - start >= min) runs.push({ at: start, length: i - start });
      start = -1;
    }
  }
  return runs;
}

// lib0's `writeAny` tags (lib0/encoding.js): undefined 127 … Uint8Array 116. Retagging a value
// turns, say, a string into an object or a boolean into null while keeping the bytes around it.
const ANY_TAGS = [116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127];

/** Byte-level mutations of a well-formed update, each named for the report. */
export const BYTE_MUTATIONS: ReadonlyArray<[string, (update: Uint8Array, random: Random, other: Uint8Array) => Uint8Array]> = [
  [
    "bits flipped",
    (u, r) => {
      const out = u.slice();
      for (let n = 1 + r.int(3); n > 0 && out.length > 0; n--) {
        const i = r.int(out.length);
        out[i] = (out[i] as number) ^ (1 << r.int(8));
      }
      return out;
    },
  ],
  [
    "bytes replaced",
    (u, r) => {
      const out = u.slice();
      for (let n = 1 + r.int(4); n > 0 && out.length > 0; n--) out[r.int(out.length)] = r.int(256);
      return out;
    },
  ],
  ["truncated", (u, r) => u.slice(0, r.int(u.length))],
  ["head cut off", (u, r) => u.slice(1 + r.int(Math.max(1, u.length - 1)))],
  [
    "a slice duplicated",
    (u, r) => {
      const from = r.int(u.length);
      const to = from + 1 + r.int(Math.min(64, u.length - from));
      const at = r.int(u.length + 1);
      return concat(u.slice(0, at), u.slice(from, to), u.slice(at));
    },
  ],
  [
    "a slice removed",
    (u, r) => {
      const from = r.int(u.length);
      return concat(u.slice(0, from), u.slice(from + 1 + r.int(16)));
    },
  ],
  ["random bytes inserted", (u, r) => concatAt(u, r.int(u.length + 1), r.bytes(1 + r.int(12)))],
  ["two updates concatenated", (u, _r, other) => concat(u, other)],
  ["itself twice", (u) => concat(u, u)],
  [
    "a value retagged",
    (u, r) => {
      const out = u.slice();
      const tagged = [...out.keys()].filter((i) => ANY_TAGS.includes(out[i] as number));
      if (tagged.length > 0) out[r.pick(tagged)] = r.pick(ANY_TAGS);
      return out;
    },
  ],
  [
    "a string scrambled in place",
    (u, r) => {
      const out = u.slice();
      const runs = asciiRuns(out);
      if (runs.length === 0) return out;
      const run = r.pick(runs);
      const from = run.at + r.int(run.length);
      for (let i = from; i < Math.min(run.at + run.length, from + 1 + r.int(8)); i++) out[i] = 0x20 + r.int(0x5f);
      return out;
    },
  ],
  [
    "a varint enlarged",
    (u, r) => {
      // Set the continuation bit: every number after it is read from the wrong place.
      const out = u.slice();
      if (out.length > 0) {
        const i = r.int(out.length);
        out[i] = (out[i] as number) | 0x80;
      }
      return out;
    },
  ],
];

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function concatAt(u: Uint8Array, at: number, insert: Uint8Array): Uint8Array {
  return concat(u.slice(0, at), insert, u.slice(at));
}

/**
 * A Yjs v1 update with no structs and one delete set: `ranges` of each client deleted. Such an
 * update can name clocks nobody has written yet, which a forging client does by hand.
 */
export function deleteSetUpdate(ranges: ReadonlyArray<{ client: number; clock: number; length: number }>): Uint8Array {
  const byClient = new Map<number, Array<{ clock: number; length: number }>>();
  for (const { client, clock, length } of ranges) byClient.set(client, [...(byClient.get(client) ?? []), { clock, length }]);
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint(encoder, byClient.size);
  for (const [client, list] of byClient) {
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, list.length);
    for (const { clock, length } of list) {
      encoding.writeVarUint(encoder, clock);
      encoding.writeVarUint(encoder, length);
    }
  }
  return encoding.toUint8Array(encoder);
}
