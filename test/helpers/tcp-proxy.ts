import net from "node:net";

/** A TCP proxy in front of one local port, which a test can cut like a pulled network cable. */
export interface TcpProxy {
  port: number;
  /** `http://127.0.0.1:<port>`: HTTP and the WebSocket of a browser pointed here both pass through the proxy. */
  url: string;
  /** Reset every open connection (both sides) and refuse new ones until `restore()`. */
  sever(): void;
  /** Accept and forward connections again. */
  restore(): void;
  /** Forward new connections to another port (a restarted server listens on a new one). */
  retarget(port: number): void;
  /** Connections open right now (each a client socket paired with its upstream socket). */
  readonly openConnections: number;
  /** Stop listening and reset every connection. */
  close(): Promise<void>;
}

/** Listen on a free port of 127.0.0.1 and forward every connection to `127.0.0.1:targetPort`. */
export async function startTcpProxy(initialTargetPort: number): Promise<TcpProxy> {
  let targetPort = initialTargetPort;
  const pairs = new Set<[net.Socket, net.Socket]>();
  let severed = false;

  // A reset, not a FIN: the browser sees the connection die as it would when the network drops,
  // and a WebSocket cannot mistake it for an orderly close.
  const cut = (socket: net.Socket) => {
    if (!socket.destroyed) socket.resetAndDestroy();
  };

  const server = net.createServer((client) => {
    if (severed) {
      client.on("error", () => {});
      cut(client);
      return;
    }
    const upstream = net.connect(targetPort, "127.0.0.1");
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    // An orderly end travels through the pipes (with whatever data is still buffered); a failure
    // on one side ends the other at once. The pair is forgotten when both sides have closed.
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    let closed = 0;
    const onClose = () => {
      closed += 1;
      if (closed === 2) pairs.delete(pair);
    };
    client.on("close", onClose);
    upstream.on("close", onClose);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("tcp proxy: no address");
  const port = address.port;

  const severAll = () => {
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      cut(pair[0]);
      cut(pair[1]);
    }
  };

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    sever() {
      severed = true;
      severAll();
    },
    restore() {
      severed = false;
    },
    retarget(port) {
      targetPort = port;
    },
    get openConnections() {
      return pairs.size;
    },
    close() {
      severed = true;
      severAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
