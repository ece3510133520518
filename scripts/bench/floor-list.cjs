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
  .prepare("SELECT id, status, priority, kind, repo, title FROM tasks WHERE 1 = 1 AND (status NOT IN (?, ?, ?) OR updated_at >= ?) ORDER BY seq")
  .all("done", "failed", "cancelled", since)
// What each task not yet started waits on (TaskStore.unmetDependencies).
const waiting = new Map()
for (const d of db.prepare(`
  SELECT t.id AS task_id, p.id AS id, p.status AS status
  FROM tasks t JOIN task_deps d ON d.task_seq = t.seq JOIN tasks p ON p.seq = d.dep_seq
  WHERE t.status IN (?, ?) AND p.status <> ? ORDER BY t.seq, d.dep_seq`).all("backlog", "ready", "done")) {
  waiting.set(d.task_id, [...(waiting.get(d.task_id) ?? []), `${d.id} (${d.status})`])
}
const status = (r) => (waiting.has(r.id) ? `${r.status}, waiting on ${waiting.get(r.id).join(", ")}` : r.status)
const header = ["ID", "STATUS", "PRIORITY", "KIND", "REPO", "TITLE"]
const cells = rows.map((r) => [r.id, status(r), r.priority, r.kind, r.repo ?? "-", r.title.replace(/\s+/g, " ").trim()])
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
const line = (c) => c.map((s, i) => (i === c.length - 1 ? s : s.padEnd(widths[i]))).join("  ").trimEnd()
process.stdout.write(rows.length === 0 ? "no tasks\n" : `${[line(header), ...cells.map(line)].join("\n")}\n`)
db.close()
