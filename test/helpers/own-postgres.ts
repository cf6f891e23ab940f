import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.ts";

/** A PostgreSQL cluster this test owns (its own data folder and port), to restart or stop at will. */
export interface OwnPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  port: number;
  /** `pg_ctl restart -m fast`: every connection is cut, as when an operator restarts the server. Resolves once it accepts connections again. */
  restart(): Promise<void>;
  /** Stop it and remove its data folder. */
  destroy(): void;
}

/** The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<major>/bin), or null. */
export function postgresBinDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return null;
  const majors = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] ? path.join(root, majors[0], "bin") : null;
}

/**
 * initdb a throwaway cluster and start it on a free loopback port (never the shared cluster).
 * PostgreSQL refuses to run as root: as root, the folder is given to the `postgres` user and the
 * tools run as that user.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chat-own-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync("chown", ["postgres:postgres", dir]);
  const command = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", path.join(bin, tool), ...args]] : [path.join(bin, tool), args];
  const run = (tool: string, args: string[]) => execFileSync(...command(tool, args), { stdio: "pipe" });
  // Asynchronous, so the test's clients keep writing while the server restarts.
  const runInBackground = async (tool: string, args: string[]) => {
    await promisify(execFile)(...command(tool, args));
  };
  const port = await freePort();
  run("initdb", ["-D", dir, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off`;
  run("pg_ctl", ["-D", dir, "-l", path.join(dir, "server.log"), "-o", options, "-w", "start"]);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: () => runInBackground("pg_ctl", ["-D", dir, "-l", path.join(dir, "server.log"), "-m", "fast", "-w", "restart"]),
    destroy() {
      try {
        run("pg_ctl", ["-D", dir, "-m", "immediate", "-w", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
