import type { Queryable } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import { deliveryFor } from "./payload.ts";
import { claimDue } from "./pending.ts";
import { type SendSettings, sendPush } from "./send.ts";
import { forgetSubscription, subscriptionsOf } from "./subscriptions.ts";

// Notifications claimed per statement; a pass claims again while it gets full batches.
const CLAIM_BATCH = 100;
// Pushes in flight at once from one process.
const SEND_CONCURRENCY = 16;

/**
 * Sends the pending notifications that are due, from every process at once: each pass claims due
 * rows (server/push/pending.ts claimDue) and posts one push per row to each of that user's
 * subscriptions, forgetting the subscriptions their push service says are gone. Delivery is at
 * most once: a process that dies after claiming loses those pushes, which for a chat ping is
 * better than sending it twice.
 */
export class PushDispatcher {
  /** Completed passes, for tests that must know a pass ran after some moment. */
  passes = 0;
  private timer: NodeJS.Timeout | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private running = false;

  constructor(
    private readonly db: Queryable,
    private readonly settings: SendSettings,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      // A pass slower than the interval is not queued behind: the next tick finds the rest.
      if (!this.running) this.runOnce().catch((err: unknown) => this.logger.warn({ err }, "push dispatch failed"));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stop the loop and wait for a pass under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.tail.catch(() => {});
  }

  /** Run one pass after any pass under way; resolves with how many notifications it sent. */
  runOnce(): Promise<number> {
    const next = this.tail.catch(() => {}).then(() => this.pass());
    this.tail = next;
    return next;
  }

  private async pass(): Promise<number> {
    this.running = true;
    try {
      let sent = 0;
      for (;;) {
        const claimed = await claimDue(this.db, CLAIM_BATCH);
        sent += await this.deliver(claimed);
        if (claimed.length < CLAIM_BATCH) return sent;
      }
    } finally {
      this.running = false;
      this.passes++;
    }
  }

  private async deliver(claimed: Awaited<ReturnType<typeof claimDue>>): Promise<number> {
    const subscriptions = await subscriptionsOf(this.db, [...new Set(claimed.map((c) => c.user_id))]);
    const jobs = claimed.flatMap((row) => {
      const delivery = deliveryFor(row);
      return subscriptions.filter((s) => s.user_id === row.user_id).map((subscription) => ({ subscription, delivery }));
    });
    let sent = 0;
    await inParallel(jobs, SEND_CONCURRENCY, async ({ subscription, delivery }) => {
      const outcome = await sendPush(subscription, delivery, this.settings);
      if (outcome.sent) {
        sent++;
        return;
      }
      this.logger.info({ subscription: subscription.id, gone: outcome.gone, reason: outcome.reason }, "push not delivered");
      if (outcome.gone) await forgetSubscription(this.db, subscription.id);
    });
    return sent;
  }
}

/** Run `work` over `items`, at most `limit` at a time. */
async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
