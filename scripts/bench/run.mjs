#!/usr/bin/env node
// hub's benchmarks. `npm run bench` builds first, then runs this.
//
//   node scripts/bench/run.mjs [--quick] [--json FILE] [BENCH...]
//
// BENCH is any of: startup dispatch reconcile claims scale agent board postgres (default: all, in that order).
// --quick uses fewer iterations and smaller sizes. --json FILE also writes every figure.
// Each bench runs on its own private HOME, HUB_HOME and tmux server (`-L hub-bench-<random>`,
// killed afterwards) in a temp dir: nothing touches ~/.hub, ~/.claude.json or the user's tmux.
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { spawnSync } from "node:child_process"
import { BIN, disposeAll, heading, LIB, loadLibrary, log, printFigure, ROOT, fmtMs } from "./lib.mjs"
import * as startup from "./startup.mjs"
import * as dispatch from "./dispatch.mjs"
import * as reconcile from "./reconcile.mjs"
import * as claims from "./claims.mjs"
import * as scale from "./scale.mjs"
import * as agent from "./agent.mjs"
import * as board from "./board.mjs"
import * as postgres from "./postgres.mjs"

const BENCHES = [startup, dispatch, reconcile, claims, scale, agent, board, postgres]

const usage = () => {
  log("usage: node scripts/bench/run.mjs [--quick] [--json FILE] [BENCH...]")
  for (const b of BENCHES) log(`  ${b.name.padEnd(10)} ${b.description}`)
}

const args = process.argv.slice(2)
let quick = false
let jsonFile = null
const selected = []
for (let i = 0; i < args.length; i++) {
  const a = args[i]
  if (a === "--quick") quick = true
  else if (a === "--json") jsonFile = args[++i]
  else if (a === "--help" || a === "-h") {
    usage()
    process.exit(0)
  } else if (a.startsWith("-")) {
    process.stderr.write(`bench: unknown option ${a}\n`)
    usage()
    process.exit(2)
  } else {
    const b = BENCHES.find((x) => x.name === a)
    if (!b) {
      process.stderr.write(`bench: no bench named '${a}'\n`)
      usage()
      process.exit(2)
    }
    selected.push(b)
  }
}
const benches = selected.length > 0 ? selected : BENCHES

if (!fs.existsSync(BIN) || !fs.existsSync(LIB)) {
  log("dist/ is missing: building (node scripts/build.mjs)")
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "build.mjs")], { stdio: "inherit" })
  if (r.status !== 0) process.exit(1)
}

// This process and every git/tmux it spawns see a private HOME: a stray ~/.gitconfig or
// ~/.claude.json write can never reach the user's. TMUX is dropped so no call can fall
// back to the tmux server this shell may be running in.
const privateHome = fs.mkdtempSync(path.join(os.tmpdir(), "hub-bench-home-"))
process.env.HOME = privateHome
process.env.HUB_HOME = path.join(privateHome, ".hub")
delete process.env.TMUX
delete process.env.TMUX_PANE
const cleanupAll = () => {
  disposeAll()
  fs.rmSync(privateHome, { recursive: true, force: true })
}
process.on("exit", cleanupAll)
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    cleanupAll()
    process.exit(130)
  })
}

const cpus = os.cpus()
log(`hub bench — ${new Date().toISOString()}`)
log(`machine: ${cpus.length} × ${cpus[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`)
const commit = (() => {
  const head = spawnSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).stdout?.trim()
  const dirty = spawnSync("git", ["-C", ROOT, "status", "--porcelain", "--", "src", "scripts/build.mjs", "scripts/launcher.cjs"], { encoding: "utf8" }).stdout?.trim()
  return head ? `${head}${dirty ? " (src modified)" : ""}` : "unknown"
})()
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ")
log(`commit: ${commit}; load average at start: ${load()}`)
log(`mode: ${quick ? "quick" : "default"}; benches: ${benches.map((b) => b.name).join(", ")}`)

const lib = await loadLibrary()
const figures = []
const started = Date.now()
let failed = false
for (const bench of benches) {
  heading(`${bench.name}: ${bench.description}`)
  const t0 = Date.now()
  try {
    const rows = await bench.run({ lib, quick })
    for (const row of rows) {
      printFigure(row)
      figures.push(row)
    }
  } catch (error) {
    failed = true
    log(`  FAILED: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
  } finally {
    disposeAll()
  }
  log(`  (${bench.name} took ${fmtMs(Date.now() - t0)}; load average ${load()})`)
}

heading("summary")
const rows = figures.map((f) => [
  f.measure,
  f.hub ? (f.unit === "/s" ? `${Math.round(f.hub.median)}/s` : fmtMs(f.hub.median)) : "-",
  f.reference ? `${f.unit === "/s" ? `${Math.round(f.reference.median)}/s` : fmtMs(f.reference.median)} (${f.referenceName})` : "-",
  f.ratio === null ? "-" : `${f.ratio.toFixed(2)}×`,
  f.aim ? `${f.aim.text} ${f.aim.ok ? "✓" : "✗"}` : "-"
])
const header = ["measure", "hub (median)", "reference (median)", "ratio", "aim"]
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()
log(line(header))
for (const r of rows) log(line(r))
log(`\ntotal ${fmtMs(Date.now() - started)}${failed ? "; a bench FAILED (see above)" : ""}`)

if (jsonFile) {
  fs.writeFileSync(jsonFile, JSON.stringify({
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus.length,
    cpu: cpus[0]?.model,
    quick,
    commit,
    loadAtEnd: os.loadavg(),
    figures
  }, null, 2))
  log(`figures written to ${jsonFile}`)
}
process.exitCode = failed ? 1 : 0
