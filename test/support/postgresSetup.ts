/**
 * vitest's globalSetup: one private PostgreSQL server for the whole run (scripts/postgres.mjs),
 * stopped at the end. Tests reach it through test/support/postgres.ts.
 */
import type { TestProject } from "vitest/node"
import { startPostgres } from "../../scripts/postgres.mjs"

declare module "vitest" {
  export interface ProvidedContext {
    /** The server's maintenance database: where tests create databases of their own. */
    readonly postgresAdminUrl: string
  }
}

export default async function setup(project: TestProject) {
  const server = await startPostgres()
  project.provide("postgresAdminUrl", server.url())
  return () => server.dispose()
}
