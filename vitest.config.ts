import { defineConfig } from "vitest/config";

/** Unit tests run everywhere; integration tests start real servers against a throwaway database. */
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files each start servers and databases; two cores do not want more in parallel.
    maxWorkers: 2,
  },
});
