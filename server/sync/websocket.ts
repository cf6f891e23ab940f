import type { IncomingMessage, Server } from "node:http";
import type { Hocuspocus } from "@hocuspocus/server";
import { WebSocketServer } from "ws";
import type { SyncContext } from "./sync-server.ts";

/** Where the Hocuspocus WebSocket lives (the design's contract). */
export const SYNC_PATH = "/api/v1/chat/ws";

// Larger frames are refused by ws itself (close 1009); real updates are far smaller.
const MAX_FRAME_BYTES = 4 * 1024 * 1024;

function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(key, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(key, v);
  }
  return new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, { headers });
}

/** Serve Hocuspocus on the HTTP server's upgrade requests to SYNC_PATH; other paths are refused. */
export function attachWebSocket(server: Server, hocuspocus: Hocuspocus<SyncContext>): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on("upgrade", (req, socket, head) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== SYNC_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = hocuspocus.handleConnection(ws, toRequest(req), { socket: ws });
      ws.on("message", (data: Buffer) => connection.handleMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
      ws.on("close", (code, reason) => connection.handleClose({ code, reason: reason.toString() }));
      // A broken socket is closed by ws; there is nothing more to do than not crash.
      ws.on("error", () => {});
    });
  });
  return wss;
}
