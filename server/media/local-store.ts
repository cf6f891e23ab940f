import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { MediaStore, StoredObject } from "./media-store.ts";

/**
 * Media in a folder (`DATA_DIR/media`): a key is a relative path. A file is written beside its
 * place and renamed into it after an fsync, so a crash never leaves half a file under a key.
 */
export class LocalMediaStore implements MediaStore {
  readonly kind = "local" as const;

  constructor(private readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
  }

  private pathOf(key: string): string {
    const full = path.resolve(this.root, key);
    // Keys are made by the server, but a key must never reach outside the folder.
    if (!full.startsWith(this.root + path.sep)) throw new Error(`media key outside the store: ${key}`);
    return full;
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const partial = `${target}.${randomBytes(6).toString("hex")}.partial`;
    const handle = await fs.promises.open(partial, "w");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(partial, target);
  }

  async get(key: string): Promise<StoredObject | null> {
    const file = this.pathOf(key);
    try {
      const stat = await fs.promises.stat(file);
      return { body: fs.createReadStream(file), size: stat.size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) await fs.promises.rm(this.pathOf(key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const entries = await fs.promises.readdir(this.root, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isFile() && !e.name.endsWith(".partial"))
      .map((e) => path.relative(this.root, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  close(): void {}
}
