import { createClient } from "redis";

/** What a subscriber is handed: the message as sent. */
export type RedisListener = (message: string) => void;

/**
 * This process's two connections to Redis: one publishes, one subscribes (a subscribed
 * connection can do nothing else). Both reconnect by themselves with a growing pause; while
 * Redis is away a publish fails at once instead of queueing without bound (the callers retry
 * what matters), and `onReconnected` tells the room plane to catch up on what it missed.
 * Channels are prefixed per database, so deployments (and test databases) sharing one Redis
 * never hear each other.
 */
export class RedisLink {
  private readonly publisher: ReturnType<typeof createClient>;
  private readonly subscriber: ReturnType<typeof createClient>;
  private readonly listeners = new Map<string, RedisListener>();
  private readonly reconnected: Array<() => void> = [];
  private everReady = false;

  private constructor(
    url: string,
    readonly prefix: string,
    onError: (error: unknown) => void,
  ) {
    const options = {
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000), connectTimeout: 5_000 },
    };
    this.publisher = createClient(options);
    this.subscriber = createClient(options);
    this.publisher.on("error", onError);
    this.subscriber.on("error", onError);
    // node-redis subscribes again by itself after a reconnect; what was published meanwhile is lost.
    this.subscriber.on("ready", () => {
      if (this.everReady) for (const listener of this.reconnected) listener();
      this.everReady = true;
    });
  }

  /** Connect both; the first connection must work, or the server does not start. */
  static async open(url: string, prefix: string, onError: (error: unknown) => void): Promise<RedisLink> {
    const link = new RedisLink(url, prefix, onError);
    try {
      await Promise.all([link.publisher.connect(), link.subscriber.connect()]);
    } catch (error) {
      await link.close();
      throw new Error(`could not reach Redis at REDIS_URL: ${error instanceof Error ? error.message : String(error)}`);
    }
    return link;
  }

  /** True while both connections are up. */
  get connected(): boolean {
    return this.publisher.isReady && this.subscriber.isReady;
  }

  /** Publish on `channel` (prefixed); rejects while Redis is unreachable. */
  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(this.prefix + channel, message);
  }

  /** Listen on `channel` (one listener per channel). */
  async subscribe(channel: string, listener: RedisListener): Promise<void> {
    const first = !this.listeners.has(channel);
    this.listeners.set(channel, listener);
    if (first) await this.subscriber.subscribe(this.prefix + channel, (message) => this.listeners.get(channel)?.(message));
  }

  async unsubscribe(channel: string): Promise<void> {
    if (!this.listeners.delete(channel)) return;
    await this.subscriber.unsubscribe(this.prefix + channel).catch(() => {});
  }

  /** Told each time the subscriber is back after losing Redis (messages may have been missed). */
  onReconnected(listener: () => void): void {
    this.reconnected.push(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    for (const client of [this.subscriber, this.publisher]) {
      if (client.isOpen) await client.close().catch(() => client.destroy());
    }
  }
}
