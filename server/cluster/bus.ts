import { EventEmitter } from "node:events";
import pg from "pg";
import { z } from "zod";

/** Events every server process must hear, whichever process caused them. */
export const clusterEventSchema = z.discriminatedUnion("type", [
  /** The user is no longer a member of the room: drop their connections to it at once. */
  z.object({ type: z.literal("membership_revoked"), roomId: z.string(), userId: z.string() }),
  /** The user's online state may have changed: refresh their friends' live documents. */
  z.object({ type: z.literal("presence_changed"), userId: z.string() }),
  /** The users' friends, requests or room settings changed: refresh their live documents. */
  z.object({ type: z.literal("feed_changed"), userIds: z.array(z.string()) }),
  /** The room changed (messages, members, name): refresh its members' room lists. */
  z.object({ type: z.literal("room_changed"), roomId: z.string() }),
  /** These documents' storage was rewritten (an erase): drop them from memory, clients resync. */
  z.object({ type: z.literal("documents_rewritten"), documentNames: z.array(z.string()) }),
  /** A block between the two began or ended: their direct room's writability changed. */
  z.object({ type: z.literal("block_changed"), userIds: z.tuple([z.string(), z.string()]) }),
  /** A room's settings, admins or members changed (slow mode, content filter, roles): read its facts again. */
  z.object({ type: z.literal("room_settings_changed"), roomId: z.string() }),
  /** The user was suspended: close every socket of theirs at once (their sessions are revoked). */
  z.object({ type: z.literal("user_suspended"), userId: z.string() }),
  /** The session was logged out: close every socket authenticated with it (never its token: its id). */
  z.object({ type: z.literal("session_revoked"), sessionId: z.string() }),
]);
export type ClusterEvent = z.infer<typeof clusterEventSchema>;

/** Publish/subscribe across server processes. */
export interface ClusterBus {
  publish(event: ClusterEvent): Promise<void>;
  subscribe(handler: (event: ClusterEvent) => void): void;
  close(): Promise<void>;
}

/** The NOTIFY channel every process listens on (the admin CLI publishes on it too). */
export const CLUSTER_CHANNEL = "chat_cluster_events";
const CHANNEL = CLUSTER_CHANNEL;

/** One process (the embedded database serves only one): events stay in this process. */
export function localBus(): ClusterBus {
  const emitter = new EventEmitter();
  return {
    publish: async (event) => {
      emitter.emit("event", event);
    },
    subscribe: (handler) => emitter.on("event", handler),
    close: async () => {
      emitter.removeAllListeners();
    },
  };
}

/**
 * Several processes over one PostgreSQL: LISTEN/NOTIFY on a dedicated connection. A notification
 * is delivered to every listening process, the publisher included, after the publishing
 * statement commits. When the listening connection is lost (PostgreSQL restarting) it is opened
 * again, with a growing pause, until the bus is closed.
 */
export async function postgresBus(connectionString: string, onError: (error: unknown) => void): Promise<ClusterBus> {
  const emitter = new EventEmitter();
  const publisher = new pg.Pool({ connectionString, max: 2 });
  publisher.on("error", onError);
  let listener: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const onNotification = (message: pg.Notification) => {
    try {
      const parsed = clusterEventSchema.safeParse(JSON.parse(message.payload ?? ""));
      if (parsed.success) emitter.emit("event", parsed.data);
    } catch (error) {
      onError(error);
    }
  };

  /** Open the listening connection; on failure or loss, try again after a pause that doubles (0.1 s to 5 s) while it keeps failing. */
  const listen = async (failures: number): Promise<void> => {
    const client = new pg.Client({ connectionString });
    let reopened = false;
    const reopen = (error: unknown) => {
      if (reopened || closed) return;
      reopened = true;
      onError(error);
      client.end().catch(() => {});
      const wasListening = listener === client;
      if (wasListening) listener = null;
      // A connection that was listening starts the pauses again from the shortest.
      const failed = wasListening ? 0 : failures;
      retry = setTimeout(() => void listen(failed + 1), Math.min(100 * 2 ** failed, 5_000));
    };
    client.on("error", reopen);
    client.on("end", () => reopen(new Error("cluster bus: the listening connection ended")));
    client.on("notification", onNotification);
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      if (closed) await client.end();
      else listener = client;
    } catch (error) {
      reopen(error);
      if (failures === -1) throw error;
    }
  };
  // The first connection must work: a server that cannot listen does not start.
  await listen(-1).catch(async (error: unknown) => {
    closed = true;
    clearTimeout(retry);
    await publisher.end().catch(() => {});
    throw error;
  });

  return {
    publish: async (event) => {
      await publisher.query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify(event)]);
    },
    subscribe: (handler) => emitter.on("event", handler),
    close: async () => {
      closed = true;
      clearTimeout(retry);
      emitter.removeAllListeners();
      await listener?.end().catch(() => {});
      await publisher.end().catch(() => {});
    },
  };
}
