import { randomUUID } from "node:crypto";
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
  /** Several rooms changed (a busy server announces them together): as `room_changed` for each. */
  z.object({ type: z.literal("rooms_changed"), roomIds: z.array(z.string()) }),
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
  /** The event journal (chat_events) may have advanced: event streams read it (server/events). */
  z.object({ type: z.literal("events_appended") }),
  /** A member started or stopped typing, from a Yjs client's awareness or POST /typing (server/events/typing-relay.ts). */
  z.object({
    type: z.literal("typing"),
    roomId: z.string(),
    userId: z.string(),
    name: z.string().max(200),
    typing: z.boolean(),
    source: z.enum(["awareness", "rest"]),
  }),
]);
export type ClusterEvent = z.infer<typeof clusterEventSchema>;

/** What a process does with an event; the publishing process waits for its own handlers. */
export type ClusterHandler = (event: ClusterEvent) => void | Promise<void>;

/**
 * Publish/subscribe across server processes. `publish` resolves once this process's own
 * handlers have acted on the event (a route that blocks someone answers only when its rooms
 * here are read-only) and the other processes have been told.
 */
export interface ClusterBus {
  publish(event: ClusterEvent): Promise<void>;
  subscribe(handler: ClusterHandler): void;
  close(): Promise<void>;
}

/** This process's handlers, run together; one that fails is reported, not the publisher's error. */
function localHandlers(onError: (error: unknown) => void) {
  const handlers: ClusterHandler[] = [];
  return {
    add: (handler: ClusterHandler) => handlers.push(handler),
    deliver: async (event: ClusterEvent) => {
      await Promise.all(handlers.map(async (handler) => handler(event))).catch(onError);
    },
    clear: () => {
      handlers.length = 0;
    },
  };
}

/** The NOTIFY channel every process listens on (the admin CLI publishes on it too). */
export const CLUSTER_CHANNEL = "chat_cluster_events";
const CHANNEL = CLUSTER_CHANNEL;

/** One process (the embedded database serves only one): events stay in this process. */
export function localBus(onError: (error: unknown) => void = () => {}): ClusterBus {
  const local = localHandlers(onError);
  return {
    publish: local.deliver,
    subscribe: local.add,
    close: async () => local.clear(),
  };
}

/** A NOTIFY payload: the event, and which process sent it (it already acted on it). The CLI sends bare events. */
const envelopeSchema = z.object({ from: z.string(), event: clusterEventSchema });

/**
 * Several processes over one PostgreSQL: LISTEN/NOTIFY on a dedicated connection. A notification
 * is delivered to every listening process, the publisher included, after the publishing
 * statement commits. When the listening connection is lost (PostgreSQL restarting) it is opened
 * again, with a growing pause, until the bus is closed.
 */
export async function postgresBus(connectionString: string, onError: (error: unknown) => void): Promise<ClusterBus> {
  const local = localHandlers(onError);
  const processId = randomUUID();
  const publisher = new pg.Pool({ connectionString, max: 2 });
  publisher.on("error", onError);
  let listener: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const onNotification = (message: pg.Notification) => {
    try {
      const payload: unknown = JSON.parse(message.payload ?? "");
      const sent = envelopeSchema.safeParse(payload);
      if (sent.success) {
        if (sent.data.from !== processId) void local.deliver(sent.data.event);
        return;
      }
      const bare = clusterEventSchema.safeParse(payload);
      if (bare.success) void local.deliver(bare.data);
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
      await local.deliver(event);
      await publisher.query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify({ from: processId, event })]);
    },
    subscribe: local.add,
    close: async () => {
      closed = true;
      clearTimeout(retry);
      local.clear();
      await listener?.end().catch(() => {});
      await publisher.end().catch(() => {});
    },
  };
}
