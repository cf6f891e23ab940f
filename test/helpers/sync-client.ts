import { HocuspocusProvider, HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import WebSocket from "ws";
import * as Y from "yjs";
import { parseServerStateless, type RefusedMessage } from "../../shared/protocol.ts";
import { waitFor } from "./wait-for.ts";

/** One real WebSocket shared by every document a test client opens, as the web app does. */
export function connectSocket(wsUrl: string): HocuspocusProviderWebsocket {
  return new HocuspocusProviderWebsocket({
    url: wsUrl,
    WebSocketPolyfill: WebSocket,
    delay: 50,
    maxDelay: 200,
    minDelay: 20,
  });
}

/** A document opened over a shared socket, with what the server said about it. */
export interface OpenDocument {
  provider: HocuspocusProvider;
  doc: Y.Doc;
  refusals: RefusedMessage[];
  closeReasons: string[];
  authFailures: string[];
  /** Resolves once the initial sync is done. */
  synced(): Promise<void>;
  /** Resolves once every local change has been acknowledged by the server (saved). */
  saved(): Promise<void>;
  destroy(): void;
}

/** Open `name` with `token` on `socket` (attaching a provider, as the web app does per room). */
export function openDocument(socket: HocuspocusProviderWebsocket, name: string, token: string, doc = new Y.Doc()): OpenDocument {
  const refusals: RefusedMessage[] = [];
  const closeReasons: string[] = [];
  const authFailures: string[] = [];
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name,
    token,
    document: doc,
    onStateless: ({ payload }) => {
      const message = parseServerStateless(payload);
      if (message?.type === "refused") refusals.push(message);
    },
    onClose: ({ event }) => {
      if (event.reason) closeReasons.push(event.reason);
    },
    onAuthenticationFailed: ({ reason }) => {
      authFailures.push(reason);
    },
  });
  provider.attach();
  return {
    provider,
    doc,
    refusals,
    closeReasons,
    authFailures,
    synced: async () => {
      await waitFor(() => provider.isSynced, `${name} to sync`);
    },
    saved: async () => {
      await waitFor(() => provider.isSynced && !provider.hasUnsyncedChanges, `${name} to be saved`);
    },
    destroy: () => provider.destroy(),
  };
}

/** Cut the socket and wait until it is really closed: changes made after this are offline. */
export async function goOffline(socket: HocuspocusProviderWebsocket): Promise<void> {
  socket.disconnect();
  await waitFor(() => socket.status === "disconnected", "the socket to close");
}

/** Reconnect the socket; every attached document resyncs, sending what it wrote offline. */
export async function goOnline(socket: HocuspocusProviderWebsocket): Promise<void> {
  await socket.connect();
  await waitFor(() => socket.status === "connected", "the socket to reconnect");
}
