import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One private PostgreSQL server for the run: the store's contract tests run on it too.
    globalSetup: ["test/support/postgresSetup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn git, tmux and the bin: two cores are the budget.
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
