/** The `p`th percentile (0–100) of `values` (any order; not changed), NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** A progress line on stderr, so stdout holds only the figures. */
export const progress = (message: string): void => {
  process.stderr.write(`  ${message}\n`);
};
