import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request the server sent to the fake push service. */
export interface RecordedPush {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A local push service: records every POST on loopback and answers as told. */
export interface PushRecorder {
  /** Base URL (http://127.0.0.1:<port>); subscription endpoints are paths under it. */
  url: string;
  pushes: RecordedPush[];
  /** The pushes sent to one endpoint. */
  to(endpoint: string): RecordedPush[];
  /** Answer POSTs to `endpoint` with `status` from now on (default 201, as push services do). */
  answer(endpoint: string, status: number): void;
  close(): Promise<void>;
}

/** Start a push recorder on 127.0.0.1, port 0. */
export async function startPushRecorder(): Promise<PushRecorder> {
  const pushes: RecordedPush[] = [];
  const statuses = new Map<string, number>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "/";
      if (request.method === "POST") pushes.push({ path, headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(statuses.get(path) ?? 201).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pathOf = (endpoint: string) => new URL(endpoint).pathname;
  return {
    url,
    pushes,
    to: (endpoint) => pushes.filter((p) => p.path === pathOf(endpoint)),
    answer: (endpoint, status) => statuses.set(pathOf(endpoint), status),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
