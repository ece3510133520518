// This build beside another one, interleaved, so the load of a shared machine hits both alike:
// a before/after figure for docs/PERFORMANCE.md when the machine is too busy for two runs of
// `npm run bench` one after the other to compare. Not one of `npm run bench`'s benches.
//
//   node scripts/bench/ab.mjs claim BEFORE_DIR [TASKS] [ROUNDS]
//   node scripts/bench/ab.mjs startup BEFORE_DIR [ROUNDS]
//
// BEFORE_DIR is a checkout of the other build with its dist/ built (and node_modules).
// claim: `TaskStore.claimNext` of each build's library on its own database of TASKS tasks
// (default 100,000: 1.5 % ready, the rest done, by the same raw INSERT); the claim takes one and
// a rollback puts it back, as the scale bench does. startup: each build's bin on its own
// HUB_HOME of 1,000 tasks: `task list`, `task show`, `task create` beside `node -e 0`.
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { Database, fmtMs, interleave, log, makeSandbox, nodeFloor, nowMs, ROOT, sandboxRuntime, stats, timeNode } from "./lib.mjs"

const [mode, beforeDir, ...rest] = process.argv.slice(2)
if (!["claim", "startup"].includes(mode) || !beforeDir) {
  process.stderr.write("usage: node scripts/bench/ab.mjs claim|startup BEFORE_DIR [TASKS] [ROUNDS]\n")
  process.exit(2)
}

const report = (what, samples) => {
  const b = stats(samples.before)
  const a = stats(samples.after)
  log(`  ${what}: before ${fmtMs(b.median)} (p10–p90 ${fmtMs(b.p10)}–${fmtMs(b.p90)}), ` +
    `after ${fmtMs(a.median)} (p10–p90 ${fmtMs(a.p10)}–${fmtMs(a.p90)}), after ÷ before ${(a.median / b.median).toFixed(2)}×`)
}

if (mode === "startup") {
  const rounds = Number(rest[0] ?? "30")
  const bins = { before: path.join(path.resolve(beforeDir), "dist", "hub.cjs"), after: path.join(ROOT, "dist", "hub.cjs") }
  const sandboxes = {}
  for (const side of ["before", "after"]) {
    const sandbox = makeSandbox(`ab-startup-${side}`)
    // The first task through the build's own bin (which makes and migrates the file), the other
    // 999 raw: 1,000 creates through the bin would take minutes.
    timeNode(sandbox, [bins[side], "task", "create", "--title", "task 1"])
    const db = new Database(path.join(sandbox.hubHome, "hub.db"))
    const insert = db.prepare(`
      INSERT INTO tasks (seq, id, title, kind, status, change_actor, change_reason, created_at, updated_at)
      VALUES (?, printf('TASK-%04d', ?), ?, 'implement', 'ready', 'human', 'created', ?, ?)`)
    const at = new Date().toISOString()
    db.transaction(() => {
      for (let seq = 2; seq <= 1000; seq++) insert.run(seq, seq, `task ${seq}`, at, at)
    })()
    db.close()
    sandboxes[side] = sandbox
  }
  const commands = [["task", "list"], ["task", "show", "TASK-0500"], ["task", "create", "--title", "one more"]]
  const fns = [() => nodeFloor(sandboxes.after)]
  for (const args of commands) for (const side of ["before", "after"]) fns.push(() => timeNode(sandboxes[side], [bins[side], ...args]).ms)
  for (let i = 0; i < 3; i++) fns.forEach((f) => f())
  const samples = interleave(rounds, fns)
  log(`start-up, ${rounds} interleaved rounds, 1,000 tasks; node -e 0 ${fmtMs(stats(samples[0]).median)}:`)
  commands.forEach((args, k) => report(`hub ${args.slice(0, 2).join(" ")}`, { before: samples[1 + 2 * k], after: samples[2 + 2 * k] }))
  for (const s of Object.values(sandboxes)) s.dispose()
  process.exit(0)
}

const [totalText = "100000", roundsText = "1000"] = rest
const total = Number(totalText)
const rounds = Number(roundsText)
const effect = await import("effect")
const { Effect, Option } = effect

const open = async (label, root) => {
  const hub = await import(pathToFileURL(path.join(root, "dist", "lib", "index.js")).href)
  const lib = { hub, effect }
  const sandbox = makeSandbox(`claim-ab-${label}`)
  const rt = sandboxRuntime(lib, sandbox)
  const store = await rt.run(hub.TaskStore)
  await rt.run(store.list({ statuses: ["ready"] })) // opens and migrates
  const db = new Database(path.join(sandbox.hubHome, "hub.db"))
  const insert = db.prepare(`
    INSERT INTO tasks (seq, id, title, kind, status, description, repo, links, comments, change_actor, change_reason, created_at, updated_at)
    VALUES (?, printf('TASK-%04d', ?), ?, 'implement', ?, ?, NULL, '[]', '[]', 'human', 'created', ?, ?)`)
  const at = new Date().toISOString()
  db.transaction(() => {
    for (let seq = 1; seq <= total; seq++) {
      insert.run(seq, seq, `task ${seq}`, seq % 1000 < 15 ? "ready" : "done", "words ".repeat(30), at, at)
    }
  })()
  db.pragma("wal_checkpoint(TRUNCATE)")
  db.close()
  const lease = { pid: process.pid, start: "ab" }
  const claimOnce = Effect.gen(function* () {
    const t = nowMs()
    const claimed = yield* store.claimNext(1_000_000, lease, "bench") // a build before hosts ignores the host
    const ms = nowMs() - t
    if (Option.isNone(claimed)) return yield* Effect.die(new Error("nothing ready"))
    yield* store.rollback({ id: claimed.value.id, attempt: claimed.value.attempt }, "ready", "ab: put back", null)
    return ms
  })
  return { label, claimOnce: () => rt.run(claimOnce), close: async () => { await rt.dispose(); sandbox.dispose() } }
}

const sides = [await open("before", path.resolve(beforeDir)), await open("after", ROOT)]
for (let i = 0; i < 50; i++) for (const s of sides) await s.claimOnce()
const times = { before: [], after: [] }
for (let i = 0; i < rounds; i++) {
  // Alternate which goes first, so neither always runs right after the other.
  for (const s of i % 2 === 0 ? sides : [...sides].reverse()) times[s.label].push(await s.claimOnce())
}
for (const s of sides) await s.close()
log(`claimNext at ${total.toLocaleString("en-US")} tasks, ${rounds} interleaved rounds:`)
report("claimNext", times)
