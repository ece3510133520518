// The chaos runner reads the store synchronously, the way better-sqlite3 does (prepare → get /
// all). On PostgreSQL (`--postgres`) the same calls go through psql, one process per query: a
// slower read (tens of ms) of the same rows, with `?` parameters written in as literals.
import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { postgresBin } from "../postgres.mjs"

const literal = (v) => (v === null || v === undefined ? "NULL" : typeof v === "number" ? String(v) : `'${String(v).replace(/'/g, "''")}'`)

const bind = (text, params) => {
  let i = 0
  return text.replace(/\?/g, () => literal(params[i++]))
}

/** A read-only handle on the database at `url` with better-sqlite3's shape (what the runner uses). */
export const pgSyncDb = (url) => {
  const psql = path.join(postgresBin(), "psql")
  const all = (text, params) => {
    const out = execFileSync(psql, ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
      `SELECT coalesce(json_agg(row_to_json(q)), '[]') FROM (${bind(text, params)}) q`], { encoding: "utf8" })
    return JSON.parse(out.trim() || "[]")
  }
  return {
    prepare: (text) => ({
      all: (...params) => all(text, params),
      get: (...params) => all(text, params)[0]
    }),
    pragma: () => undefined,
    close: () => undefined
  }
}
