import pg from "pg"
import { inject } from "vitest"

/** The test run's PostgreSQL server (test/support/postgresSetup.ts), its maintenance database. */
export const postgresAdminUrl = () => inject("postgresAdminUrl")

let n = 0

/** A new, empty database on the test run's server, for one test or one file; its URL. */
export const freshDatabase = async (prefix = "t"): Promise<string> => {
  const admin = postgresAdminUrl()
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${++n}`
  const client = new pg.Client({ connectionString: admin })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${name}`)
  } finally {
    await client.end()
  }
  const url = new URL(admin)
  url.pathname = `/${name}`
  return url.toString()
}
