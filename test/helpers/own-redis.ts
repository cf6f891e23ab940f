import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { freePort } from "./free-port.ts";
import { waitFor } from "./wait-for.ts";

/** A Redis server this test owns (its own port, nothing saved), to stop and start at will. */
export interface OwnRedis {
  url: string;
  /** SIGKILL it: every connection drops and whatever it held is gone, as in a crash. */
  stop(): Promise<void>;
  /** Start it again on the same port; resolves once it answers. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** True once something accepts connections on the port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Start `redis-server` on a free loopback port (never the shared one on 6379). */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    await waitFor(() => answers(port), "redis-server to accept connections");
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop, destroy: stop };
}
