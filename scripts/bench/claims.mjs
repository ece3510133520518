// 4. Claims: 4 processes claiming from one database through TaskStore.claimNext, beside one
// process alone on the same number of tasks. Double claims are counted from the events
// table (and from what the workers returned); a second phase checks that the cap holds, a third
// that 4 processes claim in priority order and never a task whose dependency is not done.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { createTasks, Database, figure, log, makeSandbox, sandboxRuntime, stats } from "./lib.mjs"

export const name = "claims"
export const description = "claims/s with 4 processes on one SQLite file (TaskStore.claimNext), 0 double claims"

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), "claims-worker.mjs")

/** Starts `procs` workers, lets them load, releases them at once; resolves with their reports. */
export const race = async (home, procs, cap, env = {}) => {
  const workers = Array.from({ length: procs }, () => {
    const child = spawn(process.execPath, [WORKER, home, String(cap)], { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, ...env } })
    let buffer = ""
    const lines = []
    const waiters = []
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk) => {
      buffer += chunk
      let i
      while ((i = buffer.indexOf("\n")) >= 0) {
        lines.push(buffer.slice(0, i))
        buffer = buffer.slice(i + 1)
        waiters.splice(0).forEach((w) => w())
      }
    })
    const exited = new Promise((resolve) => child.on("exit", resolve))
    const nextLine = async () => {
      while (lines.length === 0) {
        await Promise.race([new Promise((r) => waiters.push(r)), exited.then(() => {
          if (lines.length === 0) throw new Error("a claim worker exited early")
        })])
      }
      return lines.shift()
    }
    return { child, nextLine, exited }
  })
  for (const w of workers) if ((await w.nextLine()) !== "ready") throw new Error("a claim worker did not start")
  for (const w of workers) w.child.stdin.end("go\n")
  const reports = []
  for (const w of workers) reports.push(JSON.parse(await w.nextLine()))
  await Promise.all(workers.map((w) => w.exited))
  return reports
}

const PRIORITIES = ["high", "normal", "low"]

/**
 * The tasks of a round: plain ones (as before issue 13), or `ordered`: a third each high, normal
 * and low, and one in ten waiting on the task made before it (which is claimed, never done).
 */
const taskOf = (ordered) => (i) =>
  ordered
    ? { title: `claim bench ${i}`, priority: PRIORITIES[i % 3], after: i % 10 === 9 ? [`TASK-${String(i).padStart(4, "0")}`] : [] }
    : { title: `claim bench ${i}` }

const seed = async (lib, sandbox, n, ordered) => {
  const rt = sandboxRuntime(lib, sandbox)
  await createTasks(lib, rt, n, taskOf(ordered))
  await rt.dispose()
}

/** What the history says: tasks claimed by more than one attempt, and claims per task. */
const audit = (home) => {
  const db = new Database(path.join(home, "hub.db"), { readonly: true })
  try {
    const doubles = db.prepare(`
      SELECT task_id, count(*) AS claims FROM events
      WHERE to_status = 'in-progress' AND from_status = 'ready'
      GROUP BY task_id HAVING count(*) > 1`).all()
    const claimEvents = db.prepare(`SELECT count(*) AS n FROM events WHERE to_status = 'in-progress'`).get().n
    const inProgress = db.prepare(`SELECT count(*) AS n FROM tasks WHERE status = 'in-progress'`).get().n
    const attemptsAboveOne = db.prepare(`SELECT count(*) AS n FROM tasks WHERE attempt > 1`).get().n
    // Claims in the order they happened: each must come at or after the one before in claim
    // order (priority, then seq), and none may be of a task with a dependency (none is done).
    const claimed = db.prepare(`
      SELECT t.priority_rank AS rank, t.seq, t."after" AS after FROM events e JOIN tasks t ON t.id = e.task_id
      WHERE e.to_status = 'in-progress' ORDER BY e.id`).all()
    const outOfOrder = claimed.filter((c, i) => i > 0 && (c.rank < claimed[i - 1].rank || (c.rank === claimed[i - 1].rank && c.seq < claimed[i - 1].seq))).length
    const dependentsClaimed = claimed.filter((c) => c.after !== "[]").length
    return { doubles: doubles.length, claimEvents, inProgress, attemptsAboveOne, outOfOrder, dependentsClaimed }
  } finally {
    db.close()
  }
}

/** A database of `n` ready tasks, made once through the library and copied for every round. */
const templates = new Map()
const seeded = async (lib, n, ordered) => {
  const key = `${n}${ordered ? " ordered" : ""}`
  if (!templates.has(key)) {
    const sandbox = makeSandbox("claims-template")
    await seed(lib, sandbox, n, ordered) // the runtime's close checkpoints the WAL into hub.db
    templates.set(key, path.join(sandbox.hubHome, "hub.db"))
  }
  return templates.get(key)
}

export const round = async (lib, procs, n, cap, ordered = false) => {
  const template = await seeded(lib, n, ordered)
  const sandbox = makeSandbox("claims")
  try {
    fs.mkdirSync(sandbox.hubHome, { recursive: true })
    fs.copyFileSync(template, path.join(sandbox.hubHome, "hub.db"))
    const reports = await race(sandbox.hubHome, procs, cap)
    const start = Math.min(...reports.map((r) => r.start))
    const end = Math.max(...reports.map((r) => r.end))
    const claims = reports.reduce((s, r) => s + r.claims, 0)
    const ids = reports.flatMap((r) => r.ids)
    const duplicateIds = ids.length - new Set(ids).size
    const history = audit(sandbox.hubHome)
    const cpuMs = reports.reduce((a, r) => a + r.cpuMs, 0)
    return { claims, ms: end - start, cpuMs, perProcess: reports.map((r) => r.claims), duplicateIds, ...history }
  } finally {
    sandbox.dispose()
  }
}

export const run = async ({ lib, quick }) => {
  const procs = 4
  const n = quick ? 1000 : 5000
  const rounds = quick ? 2 : 3
  const bigCap = 1_000_000
  const results = { many: [], one: [], ordered: [] }
  // Interleaved, so the load of a shared machine hits the three alike. Ordered: tasks of three
  // priorities, a tenth waiting on another (issue 13).
  for (let r = 0; r < rounds; r++) {
    results.many.push(await round(lib, procs, n, bigCap))
    results.one.push(await round(lib, 1, n, bigCap))
    results.ordered.push(await round(lib, procs, n, bigCap, true))
  }
  let doubles = 0
  for (const [label, rs] of [[`${procs} processes`, results.many], ["1 process", results.one]]) {
    for (const r of rs) {
      log(`  ${label}: ${r.claims} claims of ${n} in ${r.ms.toFixed(0)} ms, CPU ${Math.round((1000 * r.cpuMs) / r.claims)} µs/claim (per process ${r.perProcess.join("/")}); ` +
        `double claims: ${r.doubles} in events, ${r.duplicateIds} in worker ids; in-progress ${r.inProgress}`)
      doubles += r.doubles + r.duplicateIds
      if (r.claims !== n || r.inProgress !== n) log(`  WARNING: expected ${n} claims and ${n} in-progress`)
    }
  }

  // The cap: 4 processes, 200 ready tasks, cap 50 → exactly 50 claimed.
  const cap = 50
  const capped = await round(lib, procs, 200, cap)
  const capOk = capped.claims === cap && capped.inProgress === cap && capped.doubles === 0 && capped.duplicateIds === 0
  log(`  cap ${cap}, ${procs} processes, 200 ready: ${capped.claims} claimed (per process ${capped.perProcess.join("/")}), ` +
    `${capped.inProgress} in-progress, ${capped.doubles + capped.duplicateIds} double claims: ${capOk ? "ok" : "CAP EXCEEDED OR WRONG"}`)
  log(`  double claims in all rounds: ${doubles}${doubles === 0 ? " (ok)" : " (WRONG)"}`)

  // Order: every claimable task claimed once, in claim order, none that waits.
  const ordered = results.ordered
  const claimable = n - Math.floor(n / 10)
  let orderOk = true
  for (const r of ordered) {
    const ok = r.claims === claimable && r.outOfOrder === 0 && r.dependentsClaimed === 0 && r.doubles + r.duplicateIds === 0
    orderOk &&= ok
    log(`  ordered, ${procs} processes: ${r.claims} claims of ${n} (${claimable} claimable) in ${r.ms.toFixed(0)} ms; ` +
      `${r.outOfOrder} out of priority order, ${r.dependentsClaimed} waiting tasks claimed, ${r.doubles + r.duplicateIds} double claims: ${ok ? "ok" : "WRONG"}`)
  }

  const rate = (r) => r.claims / (r.ms / 1000)
  const many = stats(results.many.map(rate))
  const one = stats(results.one.map(rate))
  const cpuPerClaim = stats(results.many.map((r) => (1000 * r.cpuMs) / r.claims)).median
  return [
    figure({
      bench: name,
      measure: `claims/s, ${procs} processes on one database (${n.toLocaleString("en-US")} ready tasks; ${doubles} double claims; cap ${capOk ? "held" : "EXCEEDED"})`,
      hub: many,
      reference: one,
      referenceName: "1 process alone",
      unit: "/s",
      aim: { text: "≥ 1,000 claims/s, 0 double claims", ok: many.median >= 1000 && doubles === 0 && capOk },
      note: `CPU per claim ${Math.round(cpuPerClaim)} µs (all 4 processes); ratio = 4-process rate / 1-process rate`
    }),
    figure({
      bench: name,
      measure: `claims/s, ${procs} processes, ${n.toLocaleString("en-US")} tasks of three priorities, a tenth waiting on another (${orderOk ? "in order, none waiting claimed" : "ORDER WRONG"})`,
      hub: stats(ordered.map(rate)),
      reference: many,
      referenceName: `${procs} processes, plain tasks`,
      unit: "/s",
      aim: { text: "in priority order, no waiting task claimed, 0 double claims", ok: orderOk },
      note: "ratio = ordered rate / plain rate"
    })
  ]
}
