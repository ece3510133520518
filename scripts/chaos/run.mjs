#!/usr/bin/env node
// hub's chaos runner. `npm run chaos -- --runs N [--seed S]` builds first, then runs this.
//
//   node scripts/chaos/run.mjs [--runs N] [--seed S] [--jobs J] [--max-minutes M]
//                              [--report FILE] [--json FILE] [--keep] [--verbose] [--stop-on-fail]
//   node scripts/chaos/run.mjs --from FILE.jsonl [--from ...] [--report FILE]
//
// Each run plays a plan drawn from its seed (run i of `--seed S` has seed S+i) against the
// built bin (a snapshot of dist/ taken at start) as real processes, on a fresh temp HOME and
// HUB_HOME, real git repos and a private tmux server (`-L hub-chaos-<random>`, killed at the
// end of the run): dispatchers and daemons killed (SIGKILL, SIGINT, SIGTERM) at random
// moments, slow and failing git/tmux shims, agents that exit, hang or report, windows killed
// by hand, two dispatchers at once, hostile task text, agents that hook (`hub agent hook`: busy,
// idle, waiting, late and stale hooks). Then one `hub reconcile`, `hub verify`
// and the history checks. A failing run prints its seed and steps; `--seed S --runs 1` replays
// it. SIGUSR1 (or --max-minutes) stops starting runs and lets the running ones finish;
// SIGINT/SIGTERM kill everything this runner started at once.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { startPostgres } from "../postgres.mjs"
import { makePlan } from "./plan.mjs"
import { BIN as BUILT_BIN, ROOT, emergencyCleanup, runPlan, snapshotDist } from "./world.mjs"

const INVARIANTS = [
  ["setup", "repo add and task create work (the run is void otherwise)"],
  ["reconcile", "the final `hub reconcile` exits 0"],
  ["verify", "then `hub verify` exits 0: in-progress ⇔ live agent, no stray live window or workspace"],
  ["history-edges", "every event continues the last status along an edge of the transition table"],
  ["attempts", "every claim has exactly one outcome: started, rolled back, reconciled to ready (or cancelled in flight)"],
  ["single-claim", "no task is claimed while an attempt of it is open; attempts count up by one"],
  ["cap", "never more than HUB_DISPATCH_CAP tasks in progress right after a claim"],
  ["stale-hooks", "a hook of an older attempt changed nothing: every hook-driven policy move rests on a hook of that attempt's own agent"],
  ["canary", "hostile task text is never executed (no canary file anywhere)"],
  ["text-intact", "the agent's prompt carries the exact title and description"],
  ["processes", "every hub process ends by itself or by its signal, in time, with an expected exit code"],
  ["harness", "the runner itself did not fail"]
]

const usage = `usage: node scripts/chaos/run.mjs [options]
  --runs N          how many runs (default 10)
  --seed S          seed of the first run (run i has seed S+i); default: random
  --jobs J          runs at once (default 2)
  --max-minutes M   start no run after M minutes (the running ones finish)
  --report FILE     also write a markdown report
  --json FILE       also write every run's result, one JSON line per run, as it ends
  --from FILE       summarize (and --report) the JSON lines of earlier campaigns; repeatable
  --keep            keep every run's directory (failing runs' are always kept)
  --verbose         print every run's plan and steps
  --stop-on-fail    start no new run after the first failure
  --postgres        every run on a new database of one private PostgreSQL server (HUB_DATABASE_URL)`

const args = process.argv.slice(2)
const opts = { runs: 10, seed: null, jobs: 2, maxMinutes: null, report: null, json: null, from: [], keep: false, verbose: false, stopOnFail: false, postgres: false }
for (let i = 0; i < args.length; i++) {
  const a = args[i]
  const value = () => {
    const v = args[++i]
    if (v === undefined) {
      process.stderr.write(`chaos: ${a} needs a value\n${usage}\n`)
      process.exit(2)
    }
    return v
  }
  const int = (v) => {
    if (!/^\d+$/.test(v)) {
      process.stderr.write(`chaos: ${a} takes a whole number, not '${v}'\n`)
      process.exit(2)
    }
    return Number(v)
  }
  if (a === "--runs") opts.runs = int(value())
  else if (a === "--seed") opts.seed = int(value()) >>> 0
  else if (a === "--jobs") opts.jobs = Math.max(1, int(value()))
  else if (a === "--max-minutes") opts.maxMinutes = int(value())
  else if (a === "--report") opts.report = value()
  else if (a === "--json") opts.json = value()
  else if (a === "--from") opts.from.push(value())
  else if (a === "--keep") opts.keep = true
  else if (a === "--verbose") opts.verbose = true
  else if (a === "--stop-on-fail") opts.stopOnFail = true
  else if (a === "--postgres") opts.postgres = true
  else if (a === "--help" || a === "-h") {
    process.stdout.write(`${usage}\n`)
    process.exit(0)
  } else {
    process.stderr.write(`chaos: unknown argument ${a}\n${usage}\n`)
    process.exit(2)
  }
}

const log = (s) => process.stdout.write(`${s}\n`)

const printFailure = (r) => {
  log(`\n✗ run seed ${r.seed} FAILED: ${r.failed.join(", ")}  (${(r.ms / 1000).toFixed(1)} s, kept in ${r.dir})`)
  log(`  replay: npm run chaos -- --seed ${r.seed} --runs 1`)
  for (const name of r.failed) for (const v of r.invariants[name]) log(`  [${name}] ${v}`)
  log("  plan:")
  for (const l of r.plan) log(`    ${l}`)
  log("  steps:")
  for (const l of r.steps) log(`    ${l}`)
}

// ---------------------------------------------------------------------------------------------
// Summary: printed, and written as markdown with --report.

/** Known kinds of violation, so that a campaign's failures group by cause. */
const CLASSES = [
  [/second outcome 'started'.*after 'cancelled in flight'/, "history: 'agent started' recorded on a task cancelled mid-dispatch"],
  [/belongs to a cancelled task/, "verify: live agent window of a task cancelled mid-dispatch"],
  [/second outcome 'rolled back[^']*'.*after 'started'/, "history: a committed dispatch undone (interrupted after the commit)"],
  [/never started, rolled back or reconciled \(task now [a-z-]+, moved by #\d+( \(agent\))?\)$/, "history: agent reported before the commit and its dispatcher died: the start is never recorded"],
  [/never started, rolled back or reconciled/, "history: an attempt left open"],
  [/belongs to a (ready|failed|done|backlog) task|belongs to no task/, "verify: live window of a task that has no agent any more"],
  [/is in-progress but its agent is/, "verify: in-progress task without a live agent"],
  [/not an edge|starts from .* but the task was|created twice/, "history: forbidden or discontinuous transition"],
  [/while attempt .* was still open|claims attempt/, "double claim"],
  [/cap \d+$/, "cap exceeded"],
  [/hook its agent never sent/, "a stale attempt's hook moved the current attempt"],
  [/hostile text was executed/, "hostile text executed"],
  [/prompt lacks/, "task text altered on its way to the agent"],
  [/still running after/, "process hung (did not stop on its signal or by itself)"],
  [/never finished/, "runner: a process's result was never recorded"],
  [/internal error|defect/, "defect (internal error)"]
]
const classify = (line) => CLASSES.find(([re]) => re.test(line))?.[1] ?? "other"

const summarize = (results, meta) => {
  const count = (lists) => {
    const m = new Map()
    for (const list of lists) for (const x of list) m.set(x, (m.get(x) ?? 0) + 1)
    return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  }
  const passed = results.filter((r) => r.ok)
  const failed = results.filter((r) => !r.ok)
  const faultRuns = new Map(count(results.map((r) => [...new Set(r.faults)])))
  const faultTotal = count(results.map((r) => r.faults))
  const firedTotal = count(results.map((r) => r.fired))
  const outcomeTotal = new Map()
  let claims = 0
  let agents = 0
  let hooks = 0
  let stale = 0
  const policy = new Map()
  for (const r of results) {
    hooks += r.stats.hooksSent ?? 0
    stale += r.stats.staleHooks ?? 0
    for (const [k, v] of Object.entries(r.stats.policyMoves ?? {})) policy.set(k, (policy.get(k) ?? 0) + v)
    claims += r.stats.claims ?? 0
    agents += r.stats.agentsStarted ?? 0
    for (const [k, v] of Object.entries(r.stats.outcomes ?? {})) outcomeTotal.set(k, (outcomeTotal.get(k) ?? 0) + v)
  }
  const finalStatus = new Map()
  for (const r of results) for (const { status, n } of r.stats.finalStatuses ?? []) finalStatus.set(status, (finalStatus.get(status) ?? 0) + n)
  const durations = results.map((r) => r.ms).sort((a, b) => a - b)
  const q = (p) => (durations.length ? durations[Math.min(durations.length - 1, Math.floor(p * durations.length))] : 0)
  const rows = INVARIANTS.map(([name, what]) => {
    const bad = results.filter((r) => (r.invariants[name] ?? []).length > 0).length
    const checked = results.filter((r) => r.invariants[name] !== undefined).length
    return { name, what, pass: checked - bad, fail: bad, unreached: results.length - checked }
  })
  const classes = count(failed.map((r) => [...new Set(r.failed.flatMap((n) => r.invariants[n].map(classify)))]))
  const secs = (ms) => `${(ms / 1000).toFixed(1)} s`
  const outcomes = [...outcomeTotal].map(([k, v]) => `${k} ${v}`).join(", ") || "-"
  const policies = [...policy].map(([k, v]) => `${k} ${v}`).join(", ") || "-"
  const statuses = [...finalStatus].map(([k, v]) => `${k} ${v}`).join(", ") || "-"

  log("")
  log(`chaos: ${results.length} runs, ${passed.length} passed, ${failed.length} failed${meta.wallMs ? `, in ${(meta.wallMs / 1000).toFixed(0)} s` : ""} (${meta.what})`)
  log(`run time: median ${secs(q(0.5))}, p90 ${secs(q(0.9))}, max ${secs(q(1))}${Number.isFinite(meta.cpuPerRun) ? `; CPU of hub/git/tmux processes ${meta.cpuPerRun.toFixed(1)} s per run` : ""}`)
  log(`claims ${claims}, agents started ${agents}; attempt outcomes: ${outcomes}`)
  log(`final task statuses: ${statuses}`)
  log(`hooks sent ${hooks} (${stale} stale: after a newer attempt started); policy moves: ${policies}`)
  log("\noutcomes per invariant (runs):")
  for (const row of rows) {
    log(`  ${row.name.padEnd(14)} pass ${String(row.pass).padStart(5)}  fail ${String(row.fail).padStart(4)}${row.unreached ? `  not reached ${row.unreached}` : ""}`)
  }
  log("\nfault mix (planned: runs with it / occurrences):")
  for (const [k, v] of faultTotal) log(`  ${k.padEnd(44)} ${String(faultRuns.get(k)).padStart(5)} ${String(v).padStart(6)}`)
  log("\nfaults as they happened (occurrences):")
  for (const [k, v] of firedTotal) log(`  ${k.padEnd(44)} ${String(v).padStart(6)}`)
  if (failed.length) {
    log("\nfailures by kind (runs):")
    for (const [k, v] of classes) log(`  ${String(v).padStart(5)}  ${k}`)
    log("\nfailing seeds:")
    for (const r of failed) log(`  ${r.seed}: ${r.failed.join(", ")} — ${r.failed.map((n) => r.invariants[n][0]).join(" / ").slice(0, 300)}`)
  }

  if (opts.report) {
    const md = []
    md.push("# Chaos report", "")
    md.push(`- written: ${new Date().toISOString()}`)
    md.push(`- machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`)
    md.push(`- campaign: ${meta.what}`)
    md.push(`- runs: ${results.length}, ${passed.length} passed, ${failed.length} failed${meta.wallMs ? `, wall ${(meta.wallMs / 1000).toFixed(0)} s` : ""}`)
    md.push(`- run time: median ${secs(q(0.5))}, p90 ${secs(q(0.9))}, max ${secs(q(1))}${Number.isFinite(meta.cpuPerRun) ? `; CPU of hub/git/tmux processes ${meta.cpuPerRun.toFixed(1)} s per run` : ""}`)
    md.push(`- claims ${claims}, agents started ${agents}`)
    md.push(`- attempt outcomes: ${outcomes}`)
    md.push(`- final task statuses: ${statuses}`)
    md.push(`- hooks sent ${hooks} (${stale} stale: after a newer attempt started); policy moves: ${policies}`, "")
    md.push("## Outcomes per invariant", "", "| invariant | what it checks | pass | fail |", "|---|---|---:|---:|")
    for (const row of rows) md.push(`| ${row.name} | ${row.what} | ${row.pass} | ${row.fail} |`)
    md.push("", "## Fault mix (planned)", "", "| fault | runs | occurrences |", "|---|---:|---:|")
    for (const [k, v] of faultTotal) md.push(`| ${k} | ${faultRuns.get(k)} | ${v} |`)
    md.push("", "## Faults as they happened", "", "| event | occurrences |", "|---|---:|")
    for (const [k, v] of firedTotal) md.push(`| ${k} | ${v} |`)
    md.push("", "## Failures", "")
    if (failed.length === 0) md.push("None.")
    else {
      md.push("| kind | runs | seeds |", "|---|---:|---|")
      for (const [k, v] of classes) {
        const seeds = failed.filter((r) => r.failed.some((n) => r.invariants[n].some((l) => classify(l) === k))).map((r) => r.seed)
        md.push(`| ${k} | ${v} | ${seeds.slice(0, 12).join(", ")}${seeds.length > 12 ? ", …" : ""} |`)
      }
      md.push("")
    }
    for (const r of failed) {
      md.push(`### seed ${r.seed}: ${r.failed.join(", ")}`, "", `Replay: \`npm run chaos -- --seed ${r.seed} --runs 1\``, "")
      for (const name of r.failed) for (const v of r.invariants[name]) md.push(`- [${name}] ${v}`)
      md.push("", "```", "plan:", ...r.plan.map((l) => `  ${l}`), "steps:", ...r.steps.map((l) => `  ${l}`), "```", "")
    }
    fs.writeFileSync(opts.report, `${md.join("\n")}\n`)
    log(`\nreport written to ${opts.report}`)
  }
  return failed.length
}

// ---------------------------------------------------------------------------------------------
// --from: summarize earlier campaigns.

if (opts.from.length > 0) {
  const results = []
  const whats = []
  for (const file of opts.from) {
    const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "")
    for (const line of lines) {
      const x = JSON.parse(line)
      if (x.meta) whats.push(x.meta.what)
      else results.push(x)
    }
  }
  summarize(results, { what: [...new Set(whats)].join("; ") || opts.from.join(", ") })
  process.exit(0)
}

// ---------------------------------------------------------------------------------------------
// A campaign.

if (!fs.existsSync(BUILT_BIN)) {
  process.stderr.write(`chaos: ${BUILT_BIN} is missing: build first (npm run chaos builds, or node scripts/build.mjs)\n`)
  process.exit(2)
}
const snapshot = snapshotDist()
const git = (...a) => {
  try {
    return execFileSync("git", a, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch {
    return "?"
  }
}
const commit = git("rev-parse", "--short", "HEAD")
const dirty = git("status", "--porcelain", "--", "src").split("\n").filter((l) => l.trim() !== "").length
const build = `commit ${commit}${dirty ? ` + ${dirty} changed file(s) in src/` : ""}, bin sha256 ${snapshot.fingerprint}`
const firstSeed = opts.seed ?? (Math.floor(Math.random() * 2 ** 31) >>> 0)
const what = `seeds ${firstSeed}…, jobs ${opts.jobs}, ${build}`

let interrupted = false
let stop = false
const onSignal = (sig) => {
  if (interrupted) return
  interrupted = true
  process.stderr.write(`\nchaos: ${sig}: killing this runner's tmux servers and processes\n`)
  emergencyCleanup()
  snapshot.remove()
  process.exit(130)
}
process.on("SIGINT", () => onSignal("SIGINT"))
process.on("SIGTERM", () => onSignal("SIGTERM"))
process.on("SIGUSR1", () => {
  stop = true
  process.stderr.write("\nchaos: SIGUSR1: no new runs; the running ones finish\n")
})

if (opts.json) fs.writeFileSync(opts.json, `${JSON.stringify({ meta: { what, firstSeed, started: new Date().toISOString() } })}\n`)

/** CPU seconds of this runner's reaped children (hub, git, tmux clients): fields 16-17 of /proc/self/stat. */
const childCpu = () => {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8")
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(f[13]) + Number(f[14])) / 100
  } catch {
    return NaN
  }
}
const cpuAtStart = childCpu()

// `--postgres`: one private server for the campaign (scripts/postgres.mjs), a database per run.
const pgServer = opts.postgres ? await startPostgres() : null
process.once("exit", () => pgServer?.dispose())

const results = []
const startedAt = Date.now()
log(`chaos: ${opts.runs} run(s) from seed ${firstSeed}, ${opts.jobs} at a time; ${build} (snapshot ${path.dirname(snapshot.bin)})${pgServer ? `; on PostgreSQL (port ${pgServer.port})` : ""}`)

let next = 0
const worker = async () => {
  while (!stop && !interrupted && next < opts.runs) {
    if (opts.maxMinutes !== null && Date.now() - startedAt > opts.maxMinutes * 60_000) {
      stop = true
      break
    }
    const i = next++
    const seed = (firstSeed + i) >>> 0
    const r = await runPlan(makePlan(seed), { keep: opts.keep, postgres: pgServer })
    results.push(r)
    if (opts.json) fs.appendFileSync(opts.json, `${JSON.stringify(r)}\n`)
    if (r.ok) {
      log(`  ${String(results.length).padStart(4)}/${opts.runs} seed ${seed} ok (${(r.ms / 1000).toFixed(1)} s)`)
      if (opts.verbose) {
        for (const l of r.plan) log(`    ${l}`)
        for (const l of r.steps) log(`    ${l}`)
      }
    } else {
      printFailure(r)
      if (opts.stopOnFail) stop = true
    }
  }
}
await Promise.all(Array.from({ length: Math.min(opts.jobs, opts.runs) }, worker))
const wallMs = Date.now() - startedAt
snapshot.remove()
if (stop && results.length < opts.runs) log(`\nchaos: stopped after ${results.length} of ${opts.runs} runs`)
const cpu = childCpu() - cpuAtStart
const failures = summarize(results, { what, wallMs, cpuPerRun: results.length ? cpu / results.length : NaN })
process.exitCode = failures > 0 ? 1 : 0
