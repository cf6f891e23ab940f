import { randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Where a running server tells the admin CLI how to reach it. */
export const operatorFile = (dataDir: string) => path.join(dataDir, "admin-api.json");

/** What the file holds: the server's address and a token good for the admin API only. */
export interface OperatorAccess {
  url: string;
  token: string;
}

/**
 * The operator channel of a server on the embedded database, which only one process can open:
 * a random token written, readable by the server's OS user only, into the data folder beside
 * the lock. Whoever can read the data folder may already read everything in it; the token gives
 * the CLI the admin API without opening the database. Removed when the server stops.
 */
export class OperatorToken {
  private readonly token = randomBytes(32).toString("base64url");

  constructor(private readonly dataDir: string) {}

  publish(url: string): void {
    const access: OperatorAccess = { url, token: this.token };
    fs.writeFileSync(operatorFile(this.dataDir), JSON.stringify(access), { mode: 0o600 });
  }

  matches(candidate: string): boolean {
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  remove(): void {
    fs.rmSync(operatorFile(this.dataDir), { force: true });
  }
}

/** The running server's operator access, if one published it. */
export function readOperatorAccess(dataDir: string): OperatorAccess | null {
  try {
    return JSON.parse(fs.readFileSync(operatorFile(dataDir), "utf8")) as OperatorAccess;
  } catch {
    return null;
  }
}
