import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import WebSocket from "ws";
import * as Y from "yjs";
import { parseServerStateless } from "../../shared/protocol.ts";
import { rawFrame, SYNC, syncFrame } from "./yjs-forgery.ts";

// Hocuspocus message types (packages/server/src/types.ts MessageType) and the auth sub-types
// (packages/common/src/auth.ts AuthMessageType): a raw client speaks them by hand.
const MESSAGE = { sync: 0, auth: 2, syncReply: 4, stateless: 5, close: 7, syncStatus: 8 } as const;
const AUTH = { token: 0, permissionDenied: 1, authenticated: 2 } as const;

/** The empty Yjs update: judged and acknowledged like any update, it changes nothing. */
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc());

/** What the server did with one frame. */
export type FrameOutcome =
  /** Handled without closing the room (applied, ignored, or judged a no-op). */
  | { kind: "accepted" }
  /** Refused with the design's `refused` message; the room is closed for this connection. */
  | { kind: "refused"; code: string }
  /** The room (or the socket) was closed without a `refused` message: Hocuspocus could not handle the frame. */
  | { kind: "closed"; reason: string };

/**
 * One room opened on a raw WebSocket with no provider: it sends whatever frames a test builds and
 * reports, frame by frame, what the server did. A room closed by a refusal stays closed: open a
 * new RawRoomSocket (frames already queued behind the refused one are dropped by the server).
 */
export class RawRoomSocket {
  private authenticated = false;
  private acks = 0;
  private closedReason: string | null = null;
  private refusal: string | null = null;
  private readonly waiters = new Set<() => void>();
  /** Told of every sync message the server sends (other members' updates), as raw bytes. */
  onSync: ((frame: Uint8Array) => void) | null = null;

  private constructor(
    private readonly ws: WebSocket,
    readonly documentName: string,
  ) {}

  /** Connect and authenticate `documentName` with `token`; throws if the server does not let it in. */
  static async open(wsUrl: string, documentName: string, token: string, timeoutMs = 5_000): Promise<RawRoomSocket> {
    const ws = new WebSocket(wsUrl);
    const socket = new RawRoomSocket(ws, documentName);
    ws.on("message", (data: Buffer) => socket.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
    ws.on("close", (code) => socket.closed(`socket closed (${code})`));
    ws.on("error", () => socket.closed("socket error"));
    await new Promise<void>((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    ws.send(
      rawFrame(documentName, (e) => {
        encoding.writeVarUint(e, MESSAGE.auth);
        encoding.writeVarUint(e, AUTH.token);
        encoding.writeVarString(e, token);
      }),
    );
    await socket.until(() => socket.authenticated || socket.closedReason !== null, "authentication", timeoutMs);
    if (!socket.authenticated) throw new Error(`${documentName} not opened: ${socket.closedReason}`);
    return socket;
  }

  /** Whether the server closed the room (or the socket) for this connection. */
  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  /**
   * Send `frame`, then an empty update as a probe; resolve once the server has handled both (the
   * probe acknowledged) or closed the room. A connection's frames are handled in order, so the
   * probe's acknowledgement means the frame was handled and the room is still open.
   */
  async send(frame: Uint8Array, timeoutMs = 5_000): Promise<FrameOutcome> {
    if (this.closedReason !== null) throw new Error("the room is closed on this socket");
    const awaited = this.acks + acknowledgementsFor(frame) + 1;
    this.ws.send(frame);
    this.ws.send(syncFrame(this.documentName, SYNC.update, EMPTY_UPDATE));
    await this.until(() => this.acks >= awaited || this.closedReason !== null, "the server to handle a frame", timeoutMs);
    if (this.closedReason === null) return { kind: "accepted" };
    return this.refusal === null ? { kind: "closed", reason: this.closedReason } : { kind: "refused", code: this.refusal };
  }

  close(): void {
    this.ws.terminate();
  }

  private receive(data: Uint8Array): void {
    try {
      const decoder = decoding.createDecoder(data);
      decoding.readVarString(decoder);
      switch (decoding.readVarUint(decoder)) {
        case MESSAGE.auth: {
          const type = decoding.readVarUint(decoder);
          if (type === AUTH.authenticated) this.authenticated = true;
          if (type === AUTH.permissionDenied) this.closedReason = `permission denied: ${decoding.readVarString(decoder)}`;
          break;
        }
        case MESSAGE.stateless: {
          const message = parseServerStateless(decoding.readVarString(decoder));
          if (message?.type === "refused") this.refusal = message.code;
          break;
        }
        case MESSAGE.close:
          this.closedReason ??= decoding.readVarString(decoder);
          break;
        case MESSAGE.syncStatus:
          this.acks++;
          break;
        case MESSAGE.sync:
          this.onSync?.(data);
          break;
        default:
        // Broadcasts of other members' updates, awareness: nothing to track.
      }
    } catch (error) {
      this.closedReason ??= `undecodable frame from the server: ${String(error)}`;
    }
    for (const wake of this.waiters) wake();
  }

  private closed(reason: string): void {
    this.closedReason ??= reason;
    for (const wake of this.waiters) wake();
  }

  /** Resolve when `done()` holds, re-checked on every frame from the server; reject after `timeoutMs`. */
  private until(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} on ${this.documentName}`));
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }
}

/**
 * How many acknowledgements the server sends for `frame` if it accepts it: Hocuspocus acknowledges
 * each SyncStep2 and update (packages/server/src/MessageReceiver.ts), nothing else.
 */
function acknowledgementsFor(frame: Uint8Array): number {
  try {
    const decoder = decoding.createDecoder(frame);
    decoding.readVarString(decoder);
    const type = decoding.readVarUint(decoder);
    if (type !== MESSAGE.sync && type !== MESSAGE.syncReply) return 0;
    const step = decoding.readVarUint(decoder);
    return step === SYNC.step2 || step === SYNC.update ? 1 : 0;
  } catch {
    // The server cannot read it either: it closes the room, which ends the wait.
    return 0;
  }
}
