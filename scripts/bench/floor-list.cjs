// The floor of `hub task list`: a plain Node script that opens the same database with
// better-sqlite3, runs the same query and prints the same table; nothing of hub's is loaded.
// CommonJS, as hub's bin is (an ES module would add Node's ESM loader to the floor).
//
//   HUB_HOME=… node scripts/bench/floor-list.cjs
"use strict"
const path = require("node:path")
const Database = require("better-sqlite3")

const db = new Database(path.join(process.env.HUB_HOME, "hub.db"))
const since = new Date(Date.now() - 7 * 24 * 3600_000).toISOString()
const rows = db
  .prepare("SELECT id, status, kind, repo, title FROM tasks WHERE 1 = 1 AND (status NOT IN (?, ?, ?) OR updated_at >= ?) ORDER BY seq")
  .all("done", "failed", "cancelled", since)
const header = ["ID", "STATUS", "KIND", "REPO", "TITLE"]
const cells = rows.map((r) => [r.id, r.status, r.kind, r.repo ?? "-", r.title.replace(/\s+/g, " ").trim()])
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
const line = (c) => c.map((s, i) => (i === c.length - 1 ? s : s.padEnd(widths[i]))).join("  ").trimEnd()
process.stdout.write(rows.length === 0 ? "no tasks\n" : `${[line(header), ...cells.map(line)].join("\n")}\n`)
db.close()
