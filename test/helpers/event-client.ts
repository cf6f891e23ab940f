import { EventSource } from "eventsource";
import { LIVE_EVENT_TYPES, type LiveEvent, type LiveEventType, liveEventSchema } from "../../shared/api/events.ts";
import { waitFor } from "./wait-for.ts";

/** An event as a client received it: parsed with the shared schema, with its SSE id ("" for ephemeral ones). */
export type ReceivedEvent = LiveEvent & { id: string };

/** A live event stream opened with the `eventsource` package, as a mobile client would. */
export interface EventClient {
  source: EventSource;
  received: ReceivedEvent[];
  /** Resolves once the stream is open (the server has answered 200). */
  opened: Promise<void>;
  /** The first received event of `type` matching `where`, waiting for it. */
  next<T extends LiveEventType>(
    type: T,
    where?: (data: Extract<LiveEvent, { type: T }>["data"]) => boolean,
  ): Promise<Extract<ReceivedEvent, { type: T }>>;
  /** Every received event of `type`. */
  all<T extends LiveEventType>(type: T): Array<Extract<ReceivedEvent, { type: T }>>;
  /** The id of the last durable event received (what a reconnect sends as Last-Event-ID). */
  lastId(): string;
  close(): void;
}

/**
 * Open GET /api/v1/events with `token`. `lastEventId` is sent as the Last-Event-ID header, as
 * the library does itself when it reconnects; `since` as the query parameter. Every event is
 * parsed with `liveEventSchema`: a payload off the documented shape fails the test.
 */
export function openEvents(baseUrl: string, token: string, options: { since?: string; lastEventId?: string } = {}): EventClient {
  const url = `${baseUrl}/api/v1/events${options.since ? `?since=${encodeURIComponent(options.since)}` : ""}`;
  const source = new EventSource(url, {
    fetch: (input, init) =>
      fetch(input, {
        ...init,
        headers: {
          ...(init?.headers as Record<string, string>),
          authorization: `Bearer ${token}`,
          ...(options.lastEventId ? { "last-event-id": options.lastEventId } : {}),
        },
      }),
  });
  const received: ReceivedEvent[] = [];
  const problems: string[] = [];
  for (const type of LIVE_EVENT_TYPES) {
    source.addEventListener(type, (message) => {
      const parsed = liveEventSchema.safeParse({ type, data: JSON.parse(message.data) });
      if (!parsed.success) problems.push(`${type}: ${parsed.error.message} in ${message.data}`);
      else received.push({ ...parsed.data, id: message.lastEventId });
    });
  }
  const opened = new Promise<void>((resolve, reject) => {
    source.addEventListener("open", () => resolve(), { once: true });
    source.addEventListener("error", (e) => reject(new Error(`event stream failed: ${String((e as { message?: string }).message)}`)), {
      once: true,
    });
  });
  const check = () => {
    if (problems.length > 0) throw new Error(`events off their schema: ${problems.join("; ")}`);
  };
  const all = <T extends LiveEventType>(type: T) => {
    check();
    return received.filter((e): e is Extract<ReceivedEvent, { type: T }> => e.type === type);
  };
  return {
    source,
    received,
    opened,
    all,
    next: (type, where = () => true) => waitFor(() => all(type).find((e) => where(e.data as never)), `a ${type} event`),
    lastId: () => [...received].reverse().find((e) => e.id !== "")?.id ?? "",
    close: () => source.close(),
  };
}
