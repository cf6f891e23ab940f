/**
 * The parameters of one SQL statement built from several parts (CTEs written by different
 * modules): each part adds its values and gets back their typed placeholders, numbered in one
 * sequence, so the whole statement is sent in one round trip.
 */
export class StatementParams {
  readonly values: unknown[] = [];

  /** Add `value` and answer its placeholder cast to `type` (e.g. `$3::uuid[]`). */
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }

  /**
   * A function that adds one column of `rows` (what `pick` reads of each) as an array of `type`,
   * for `unnest(...)`: a batch of any size stays one parameter per column.
   */
  columnsOf<T>(rows: T[]): (pick: (row: T) => unknown, type: string) => string {
    return (pick, type) => this.add(rows.map(pick), `${type}[]`);
  }
}

/** `parts` (CTEs) as one statement ending in `select`. */
export function withParts(parts: string[], select: string): string {
  return parts.length === 0 ? select : `WITH ${parts.join(",\n")}\n${select}`;
}
