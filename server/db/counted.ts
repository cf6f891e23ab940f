import type { Database, Queryable } from "./database.ts";

/** Statements sent to the database and transactions run, since start (for the benchmark and operators). */
export interface QueryCounts {
  statements: number;
  transactions: number;
}

/**
 * `db`, counting every statement it sends (inside transactions too, BEGIN and COMMIT included):
 * the hot path's cost is mostly round trips, and "queries per accepted message" is how the
 * benchmark shows it.
 */
export function countingQueries(db: Database): { db: Database; counts: QueryCounts } {
  const counts: QueryCounts = { statements: 0, transactions: 0 };
  const counted = (runner: Queryable): Queryable => ({
    query: (sql, params) => {
      counts.statements += 1;
      return runner.query(sql, params);
    },
    exec: (sql) => {
      counts.statements += 1;
      return runner.exec(sql);
    },
  });
  return {
    counts,
    db: {
      kind: db.kind,
      ...counted(db),
      transaction: (work) => {
        counts.transactions += 1;
        counts.statements += 2;
        return db.transaction((tx) => work(counted(tx)));
      },
      close: () => db.close(),
    },
  };
}
