import { randomUUID } from "node:crypto";
import type { ClusterBus } from "../cluster/bus.ts";
import type { Queryable } from "../db/database.ts";
import type { Logger } from "../logger.ts";

/** Heartbeats a process may miss before the others presume it dead. */
const MISSED_HEARTBEATS = 3;

/**
 * Who is online, across every server process: each open WebSocket of a user is a row owned by
 * the process holding it, so several tabs (on several processes) count once and the last one
 * closing is noticed wherever it closes. A process heartbeats; the others sweep the sockets of a
 * process that stopped, so a crash does not leave people online forever. Every change of a user's
 * state is announced on the bus, for their friends' live documents.
 */
export class Presence {
  readonly processId = randomUUID();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Queryable,
    private readonly bus: ClusterBus,
    private readonly logger: Logger,
    private readonly heartbeatSeconds: number,
  ) {}

  async start(): Promise<void> {
    await this.db.query("INSERT INTO server_processes (id) VALUES ($1)", [this.processId]);
    await this.sweep();
    this.timer = setInterval(() => {
      this.beat().catch((err: unknown) => this.logger.warn({ err }, "presence heartbeat failed"));
    }, this.heartbeatSeconds * 1000);
    this.timer.unref();
  }

  /** A socket of `userId` authenticated. */
  async connected(userId: string, connectionId: string): Promise<void> {
    await this.db.query(
      `WITH opened AS (INSERT INTO presence_connections (connection_id, process_id, user_id) VALUES ($1, $2, $3) RETURNING user_id)
       UPDATE users SET last_seen = now() WHERE id = (SELECT user_id FROM opened)`,
      [connectionId, this.processId, userId],
    );
    await this.announce([userId]);
  }

  /** A socket of `userId` closed: when it was their last, they are offline as of now. */
  async disconnected(userId: string, connectionId: string): Promise<void> {
    await this.db.query(
      `WITH closed AS (DELETE FROM presence_connections WHERE connection_id = $1 RETURNING user_id)
       UPDATE users SET last_seen = now() WHERE id = (SELECT user_id FROM closed)`,
      [connectionId],
    );
    await this.announce([userId]);
  }

  /** At shutdown: this process's sockets are gone. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const { rows } = await this.db.query<{ user_id: string }>(
      `WITH gone AS (DELETE FROM presence_connections WHERE process_id = $1 RETURNING user_id)
       UPDATE users SET last_seen = now() WHERE id IN (SELECT user_id FROM gone) RETURNING id AS user_id`,
      [this.processId],
    );
    await this.db.query("DELETE FROM server_processes WHERE id = $1", [this.processId]);
    await this.announce(rows.map((r) => r.user_id));
  }

  private async beat(): Promise<void> {
    // Re-register if a sweeper thought this process dead (a long pause): its sockets are still open.
    await this.db.query(`INSERT INTO server_processes (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`, [
      this.processId,
    ]);
    await this.sweep();
  }

  /** Remove the sockets of processes that stopped heartbeating; their users may now be offline. */
  private async sweep(): Promise<void> {
    const { rows } = await this.db.query<{ user_id: string }>(
      `WITH dead AS (DELETE FROM server_processes WHERE heartbeat_at < now() - make_interval(secs => $1) RETURNING id),
            gone AS (DELETE FROM presence_connections WHERE process_id IN (SELECT id FROM dead) RETURNING user_id)
       UPDATE users SET last_seen = now() WHERE id IN (SELECT user_id FROM gone) RETURNING id AS user_id`,
      [this.heartbeatSeconds * MISSED_HEARTBEATS],
    );
    if (rows.length > 0) this.logger.info({ users: rows.length }, "swept the sockets of a stopped server process");
    await this.announce(rows.map((r) => r.user_id));
  }

  private async announce(userIds: string[]): Promise<void> {
    for (const userId of new Set(userIds)) await this.bus.publish({ type: "presence_changed", userId });
  }
}
