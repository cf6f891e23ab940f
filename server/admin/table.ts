/** Rows as an aligned text table, for people; `--json` gives scripts the same data as JSON. */
export function formatTable(rows: Array<Record<string, unknown>>, columns?: string[]): string {
  if (rows.length === 0) return "(none)";
  const keys = columns ?? Object.keys(rows[0] ?? {});
  const text = (value: unknown) =>
    value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  const cells = rows.map((row) => keys.map((k) => text(row[k])));
  // Long cells are cut to keep columns readable, except in the last column, which has room to run.
  const widths = keys.map((k, i) =>
    Math.min(i === keys.length - 1 ? Number.POSITIVE_INFINITY : 60, Math.max(k.length, ...cells.map((c) => (c[i] ?? "").length))),
  );
  const line = (values: string[]) =>
    values
      .map((v, i) => {
        const width = widths[i] ?? 0;
        return v.length > width ? `${v.slice(0, width - 1)}…` : v.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [line(keys), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
