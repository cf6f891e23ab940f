import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const LOCK = path.join(root, ".tmp", "web-build.lock");
const STAMP = path.join(root, "dist", "client", ".build-stamp");
const STALE_LOCK_MS = 5 * 60_000;

/** What the build is made from: every file under client/ and shared/, the Vite config and the lock file. */
function sourceStamp(): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else {
        const stat = fs.statSync(file);
        hash.update(`${path.relative(root, file)}:${stat.size}:${stat.mtimeMs}\n`);
      }
    }
  };
  walk(path.join(root, "client"));
  walk(path.join(root, "shared"));
  for (const file of ["vite.config.ts", "package-lock.json"]) hash.update(`${file}:${fs.statSync(path.join(root, file)).mtimeMs}\n`);
  return hash.digest("hex");
}

/** Whether the process that holds the lock still runs (true while it is still writing its pid). */
function holderAlive(): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(LOCK, "pid"), "utf8"));
  } catch {
    return true; // just made, its pid not written yet (or just removed: the next mkdir tells)
  }
  if (!pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Build the web app into dist/client for the browser suites, once however many suites run at the
 * same time: a lock lets one build while the others wait, and a stamp of the sources skips a
 * build that would make what is already there. Built for production, as it ships (Vitest sets
 * NODE_ENV=test, which would make Vite bundle React's development build).
 */
export function buildWebApp(): void {
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(path.join(LOCK, "pid"), String(process.pid));
      break;
    } catch {
      // A build that died leaves its lock behind: one whose process is gone, or older than any
      // build, is taken over.
      const age = Date.now() - (fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS || !holderAlive()) fs.rmSync(LOCK, { recursive: true, force: true });
      else sleep(250);
    }
  }
  try {
    const stamp = sourceStamp();
    if (fs.existsSync(STAMP) && fs.readFileSync(STAMP, "utf8") === stamp) return;
    execFileSync("npx", ["vite", "build", "--logLevel", "warn"], {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, NODE_ENV: "production" },
    });
    fs.writeFileSync(STAMP, stamp);
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}
