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
  /** The user was suspended: close every socket of theirs at once (their sessions are revoked). */
  z.object({ type: z.literal("user_suspended"), userId: z.string() }),
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
 * statement commits.
 */
export async function postgresBus(connectionString: string, onError: (error: unknown) => void): Promise<ClusterBus> {
  const emitter = new EventEmitter();
  const listener = new pg.Client({ connectionString });
  const publisher = new pg.Pool({ connectionString, max: 2 });
  publisher.on("error", onError);
  listener.on("error", onError);
  await listener.connect();
  await listener.query(`LISTEN ${CHANNEL}`);
  listener.on("notification", (message) => {
    try {
      const parsed = clusterEventSchema.safeParse(JSON.parse(message.payload ?? ""));
      if (parsed.success) emitter.emit("event", parsed.data);
    } catch (error) {
      onError(error);
    }
  });
  return {
    publish: async (event) => {
      await publisher.query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify(event)]);
    },
    subscribe: (handler) => emitter.on("event", handler),
    close: async () => {
      emitter.removeAllListeners();
      await listener.end().catch(() => {});
      await publisher.end().catch(() => {});
    },
  };
}
