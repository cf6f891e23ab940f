import { WebSocketServer } from "ws";

/**
 * The floor the benchmark compares against: a plain `ws` server that relays every frame to the
 * other clients, with no auth, validation, CRDT or persistence. Prints its port on stdout.
 */
const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
wss.on("connection", (socket) => {
  socket.on("message", (data, isBinary) => {
    for (const client of wss.clients) if (client !== socket) client.send(data, { binary: isBinary });
  });
});
wss.on("listening", () => {
  const address = wss.address();
  if (address && typeof address === "object") console.log(JSON.stringify({ port: address.port }));
});
