import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// Whatever happens to the test or benchmark that started them, no server outlives this process.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** The real server as a separate OS process (`tsx server/main.ts`), for crash and multi-process tests. */
export interface ServerProcess {
  url: string;
  wsUrl: string;
  child: ChildProcess;
  /** Every line the process has written so far, stdout and stderr interleaved as they arrived. */
  output: string[];
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  /** SIGKILL: no shutdown code runs, as in a power cut or an OOM kill. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Start the server process with `env` on a free port; resolves once it logs where it listens (at level info, so keep LOG_LEVEL at info or below). */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  // SERVER_NODE_ARGS: extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile a benchmark.
  const nodeArgs = (process.env.SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "server/main.ts"], {
    cwd: root,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const output: string[] = [];
  readline.createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => output.push(line));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      output.push(line);
      try {
        const entry = JSON.parse(line) as { url?: string; msg?: string };
        if (entry.url && entry.msg?.startsWith("listening")) resolve(entry.url);
      } catch {
        // Not a log line: keep it for the error message.
      }
    });
    exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${output.join("\n")}`)));
  });
  const port = new URL(url).port;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/api/v1/chat/ws`,
    child,
    output,
    exited,
    async kill9() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
