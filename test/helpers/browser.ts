import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// playwright-core never downloads a browser by itself; this makes sure nothing it runs tries to.
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = "1";

/** Where browser tests save their screenshots, relative to the repository root. */
export const ARTIFACTS_DIR = "test-artifacts/browser";

/** The Chromium to drive: `CHROMIUM_PATH`, else Debian's `chromium` on the PATH; null when there is none. */
export function chromiumPath(): string | null {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return isExecutable(configured) ? configured : null;
  try {
    const found = execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
    return found && isExecutable(found) ? found : null;
  } catch {
    return null;
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether a Chromium is installed to run browser tests with. */
export function chromiumAvailable(): boolean {
  return chromiumPath() !== null;
}

/**
 * Decide whether a browser suite runs. With no Chromium: under CI (`CI=true`) the returned check
 * throws, so the run fails rather than passing without the browser tests; elsewhere the suite is
 * skipped with a warning nobody can miss.
 */
export function browserSuiteGate(suite: string): { run: boolean; assertAvailable(): void } {
  const available = chromiumAvailable();
  const underCi = process.env.CI === "true";
  if (!available && !underCi) {
    const line = "!".repeat(100);
    console.warn(
      `\n${line}\n!! SKIPPING BROWSER TESTS "${suite}": no Chromium found (set CHROMIUM_PATH or apt-get install chromium).\n` +
        `!! Under CI (CI=true) this fails the run instead.\n${line}\n`,
    );
  }
  return {
    run: available || underCi,
    assertAvailable() {
      if (!chromiumAvailable()) {
        throw new Error(
          `Browser tests "${suite}" must run under CI (CI=true), but no Chromium was found (CHROMIUM_PATH unset or not executable, no chromium on the PATH). .ci/run installs it with apt-get.`,
        );
      }
    },
  };
}

/** Launch Debian's Chromium (never a downloaded one), headless. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error("no Chromium: set CHROMIUM_PATH or install chromium");
  return chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Saves numbered full-page screenshots of one scenario under `test-artifacts/browser/<scenario>/`. */
export class Screenshots {
  readonly dir: string;
  private step = 0;
  /** Every screenshot saved so far, relative to the repository root. */
  readonly saved: string[] = [];

  constructor(scenario: string) {
    this.dir = path.join(root, ARTIFACTS_DIR, scenario);
    // Stale pictures from an earlier run would pass for this run's.
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /** Save `page` as `<NN>-<name>.png`; returns the path relative to the repository root. */
  async take(page: Page, name: string): Promise<string> {
    this.step += 1;
    const file = path.join(this.dir, `${String(this.step).padStart(2, "0")}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const relative = path.relative(root, file);
    this.saved.push(relative);
    return relative;
  }
}
