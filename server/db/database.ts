/** A row-returning SQL runner: the one thing every storage function needs. */
export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  /** Run a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * The narrow storage interface both backends implement (real PostgreSQL through `pg`, embedded
 * PGlite). The same SQL runs on both; the contract suite in test/integration runs against both.
 */
export interface Database extends Queryable {
  /** Which backend this is, for logs and for the few places that must differ (none in SQL). */
  readonly kind: "postgres" | "pglite";
  /** Run `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
