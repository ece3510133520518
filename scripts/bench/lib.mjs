// Shared helpers for the benchmarks: statistics, timing, private sandboxes, the library's
// runtime, and the figure rows that run.mjs prints and collects.
import { execFileSync, spawnSync } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
export const BIN = path.join(ROOT, "dist", "hub.cjs")
export const LIB = path.join(ROOT, "dist", "lib", "index.js")

const require = createRequire(path.join(ROOT, "package.json"))
/** better-sqlite3 straight from the project's node_modules: seeding, query plans, audits. */
export const Database = require("better-sqlite3")

/** The built library (dist/lib/index.js) and the effect package it was built against. */
export const loadLibrary = async () => {
  const hub = await import(pathToFileURL(LIB).href)
  const effect = await import("effect")
  return { hub, effect }
}

// ---------------------------------------------------------------------------------------------
// Statistics

const quantile = (sorted, q) => {
  if (sorted.length === 0) return NaN
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

/** median, min, max, p10, p90 and n of a list of samples. */
export const stats = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    p10: quantile(sorted, 0.1),
    p90: quantile(sorted, 0.9)
  }
}

export const nowMs = () => Number(process.hrtime.bigint()) / 1e6

/** Milliseconds of one synchronous call. */
export const timeSync = (fn) => {
  const t0 = nowMs()
  const value = fn()
  return { ms: nowMs() - t0, value }
}

/** Milliseconds of one awaited call. */
export const timeAsync = async (fn) => {
  const t0 = nowMs()
  const value = await fn()
  return { ms: nowMs() - t0, value }
}

// ---------------------------------------------------------------------------------------------
// Formatting

export const fmtMs = (ms) => {
  if (!Number.isFinite(ms)) return "-"
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  if (ms >= 100) return `${ms.toFixed(0)} ms`
  if (ms >= 10) return `${ms.toFixed(1)} ms`
  if (ms >= 1) return `${ms.toFixed(2)} ms`
  return `${(ms * 1000).toFixed(0)} µs`
}

export const fmtRate = (perSec) => (Number.isFinite(perSec) ? `${Math.round(perSec).toLocaleString("en-US")}/s` : "-")

/** A measured figure as text: median and spread (p10–p90 with 10+ samples, else min–max). */
export const fmtStats = (s, unit = "ms") => {
  const f = unit === "ms" ? fmtMs : unit === "/s" ? fmtRate : (v) => `${v}`
  if (s.n === 1) return f(s.median)
  const spread = s.n >= 10 ? `p10–p90 ${f(s.p10)}–${f(s.p90)}` : `min–max ${f(s.min)}–${f(s.max)}`
  return `${f(s.median)} (${spread}, n=${s.n})`
}

export const fmtBytes = (n) =>
  n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`

export const log = (line = "") => process.stdout.write(`${line}\n`)
export const heading = (title) => log(`\n== ${title} ${"=".repeat(Math.max(0, 76 - title.length))}`)

// ---------------------------------------------------------------------------------------------
// Figures: every bench reports rows of this shape; run.mjs prints a summary and may save JSON.

/**
 * A figure: `hub` and `reference` are stats (or null), `unit` "ms" or "/s". `higherIsBetter`
 * for rates. The ratio is hub/reference for times (reference/hub would hide a slow hub).
 * `aim` is { text, ok } or null.
 */
export const figure = ({ bench, measure, hub, reference = null, referenceName = null, unit = "ms", aim = null, note = null }) => {
  const ratio = reference && hub ? hub.median / reference.median : null
  return { bench, measure, unit, hub, reference, referenceName, ratio, aim, note }
}

export const printFigure = (f) => {
  log(`  ${f.measure}`)
  if (f.hub) log(`      hub        ${fmtStats(f.hub, f.unit)}`)
  if (f.reference) log(`      reference  ${fmtStats(f.reference, f.unit)}  [${f.referenceName}]`)
  if (f.ratio !== null) log(`      ratio      ${f.ratio.toFixed(2)}×`)
  if (f.aim) log(`      aim        ${f.aim.text}: ${f.aim.ok ? "met" : "MISSED"}`)
  if (f.note) log(`      note       ${f.note}`)
}

// ---------------------------------------------------------------------------------------------
// Sandboxes: a private HOME, HUB_HOME and tmux server for each bench, never the user's.

export const makeSandbox = (name) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hub-bench-${name}-`))
  const home = path.join(dir, "home")
  const hubHome = path.join(dir, "hub")
  fs.mkdirSync(home, { recursive: true })
  const socket = `hub-bench-${crypto.randomBytes(6).toString("hex")}`
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    HUB_HOME: hubHome,
    HUB_TMUX_SOCKET: socket,
    HUB_TMUX_SESSION: "hub",
    // A bench never starts the real Claude Code.
    HUB_AGENT_COMMAND: "sleep 600",
    // A bench's daemon serves no board unless the bench asks (never port 4820).
    HUB_BOARD_PORT: "off",
    LANG: "C.UTF-8"
  }
  const hub = (args, extra = {}) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      env: { ...env, ...extra },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 256 << 20,
      timeout: 120_000
    })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }
  const tmux = (args) => spawnSync("tmux", ["-L", socket, ...args], { encoding: "utf8", env })
  let disposed = false
  const dispose = () => {
    if (disposed) return
    disposed = true
    spawnSync("tmux", ["-L", socket, "kill-server"], { encoding: "utf8", stdio: "ignore" })
    // kill-server may leave the socket file behind: remove ours.
    const uid = typeof process.getuid === "function" ? process.getuid() : 0
    fs.rmSync(path.join(process.env.TMUX_TMPDIR || "/tmp", `tmux-${uid}`, socket), { force: true })
    fs.rmSync(dir, { recursive: true, force: true })
  }
  sandboxes.add(dispose)
  return { dir, home, hubHome, socket, env, hub, tmux, dispose }
}

const sandboxes = new Set()
/** Kills every private tmux server and removes every temp dir made by this run. */
export const disposeAll = () => {
  for (const d of sandboxes) {
    try {
      d()
    } catch {
      // best effort: the next one still goes
    }
  }
  sandboxes.clear()
}

/** A repo with one commit on `main`, for `hub repo add`. */
export const makeOriginRepo = (dir) => {
  fs.mkdirSync(dir, { recursive: true })
  const git = (...args) =>
    execFileSync("git", args, {
      cwd: dir,
      env: { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@b", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@b" },
      stdio: "pipe"
    })
  git("init", "-q", "-b", "main")
  // A few files so that a checkout does a little real work.
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(dir, `file${i}.txt`), `line ${i}\n`.repeat(50))
  fs.writeFileSync(path.join(dir, "README.md"), "# origin\n")
  git("add", ".")
  git("commit", "-q", "-m", "initial")
  return dir
}

// ---------------------------------------------------------------------------------------------
// The library, run on a sandbox.

/** HubConfigFrom for a sandbox (private HUB_HOME, HOME and tmux socket; agent `sleep 600`). */
export const sandboxLayer = (lib, sandbox, overrides = {}) => {
  const { hub, effect } = lib
  const { Layer, Option } = effect
  const config = hub.HubConfigFrom({
    home: sandbox.hubHome,
    userHome: sandbox.home,
    tmuxSocket: Option.some(sandbox.socket),
    tmuxSession: "hub",
    agentCommand: Option.some("sleep 600"),
    ...overrides
  })
  return hub.HubServices.pipe(Layer.provideMerge(config))
}

/**
 * A ManagedRuntime with every hub service on the sandbox; `run(effect)` returns a promise.
 * `extra` is merged in (e.g. a span recorder's layer).
 */
export const sandboxRuntime = (lib, sandbox, overrides = {}, extra = null) => {
  const { ManagedRuntime, Logger, LogLevel, Layer } = lib.effect
  // The library logs each action at info; a bench keeps stdout for its figures.
  const quiet = Logger.minimumLogLevel(LogLevel.Error)
  let layer = Layer.merge(sandboxLayer(lib, sandbox, overrides), quiet)
  if (extra) layer = Layer.merge(layer, extra)
  const runtime = ManagedRuntime.make(layer)
  return {
    run: (effect) => runtime.runPromise(effect),
    dispose: () => runtime.dispose()
  }
}

/**
 * An Effect tracer that keeps the duration of every span the library opens (Dispatch.next,
 * TaskStore.claimNext, Workspace.prepare, Terminal.openWindow, ...). `take()` returns and
 * clears what was recorded: [{ name, ms }] in the order the spans ended.
 */
export const spanRecorder = (lib) => {
  const { Layer, Tracer } = lib.effect
  let records = []
  let n = 0
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => ({
      _tag: "Span",
      name,
      spanId: `s${++n}`,
      traceId: "bench",
      parent,
      context,
      links: [...links],
      sampled: true,
      kind,
      status: { _tag: "Started", startTime },
      attributes: new Map(),
      attribute(key, value) {
        this.attributes.set(key, value)
      },
      event() {},
      addLinks(more) {
        this.links.push(...more)
      },
      end(endTime, exit) {
        this.status = { _tag: "Ended", startTime, endTime, exit }
        records.push({ name, ms: Number(endTime - startTime) / 1e6 })
      }
    }),
    context: (f) => f()
  })
  return {
    layer: Layer.setTracer(tracer),
    take: () => {
      const out = records
      records = []
      return out
    }
  }
}

/** Creates `n` tasks through TaskStore.create; returns their ids. */
export const createTasks = async (lib, rt, n, make = (i) => ({ title: `bench task ${i}` })) => {
  const { TaskStore } = lib.hub
  const { Effect } = lib.effect
  const ids = []
  const batch = 500
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch)
    const made = await rt.run(Effect.flatMap(TaskStore, (store) =>
      Effect.forEach(Array.from({ length: end - start }, (_, k) => start + k), (i) =>
        store.create({ kind: "implement", status: "ready", description: "", repo: null, links: [], ...make(i) }).pipe(
          Effect.map((t) => t.id)
        ))))
    ids.push(...made)
  }
  return ids
}

/** Runs `fn` with process.env.PATH prefixed by `dir` (for counting shims). */
export const withPath = async (dir, fn) => {
  const saved = process.env.PATH
  process.env.PATH = `${dir}:${saved}`
  try {
    return await fn()
  } finally {
    process.env.PATH = saved
  }
}

/** A shim for `name` (git, tmux) that appends `name argv` to `logFile`, then runs the real one. */
export const countingShim = (dir, name, logFile) => {
  const real = execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim()
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, name)
  // Only the first words: later ones may carry task text (prompts) over several lines.
  fs.writeFileSync(file, `#!/bin/sh\nprintf '%s\\n' "${name} $1 $2 $3 $4" | head -n 1 >> '${logFile}'\nexec '${real}' "$@"\n`)
  fs.chmodSync(file, 0o755)
  return dir
}

/** The commands a shim logged: "tmux list-panes", "git worktree", ... (name and subcommand). */
export const shimCalls = (logFile) => {
  if (!fs.existsSync(logFile)) return []
  return fs.readFileSync(logFile, "utf8").split("\n").filter((l) => l !== "").map((l) => {
    const words = l.split(" ")
    // Skip `-L socket` / `-C dir` before the subcommand.
    let i = 1
    while (i < words.length && (words[i] === "-L" || words[i] === "-C")) i += 2
    // git's two-word subcommands: `worktree add`, `worktree prune`.
    const sub = words[i] === "worktree" ? `${words[i]} ${words[i + 1]}` : words[i] ?? ""
    return `${words[0]} ${sub}`.trim()
  })
}

/**
 * `node -e 0`, run as the other commands are (spawnSync, piped output) and in the same
 * environment: the sandbox's. Not this process's: a NODE_EXTRA_CA_CERTS there (a CA bundle
 * parsed at every start, ~60 ms here) would inflate the reference and flatter every ratio.
 */
export const nodeFloor = (sandbox) => {
  const t0 = nowMs()
  const r = spawnSync(process.execPath, ["-e", "0"], { env: sandbox.env, stdio: ["ignore", "pipe", "pipe"] })
  const ms = nowMs() - t0
  if (r.status !== 0) throw new Error("node -e 0 failed")
  return ms
}

/** Times `node ARGS` in a sandbox's environment; throws on a non-zero exit. */
export const timeNode = (sandbox, args) => {
  const t0 = nowMs()
  const r = spawnSync(process.execPath, args, { env: sandbox.env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 << 20 })
  const ms = nowMs() - t0
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr.trim()}`)
  return { ms, stdout: r.stdout }
}

const GNU_TIME = "/usr/bin/time"
const PEAK_PRELOAD = path.join(ROOT, "scripts", "bench", "peak-rss.cjs")

/**
 * The peak resident memory (MiB) of one `node ARGS` process: GNU time's %M (the child's
 * ru_maxrss) when /usr/bin/time exists, else the process's own maxRSS, reported at exit
 * by a preload (which sees all but what runs after its exit handler).
 */
export const peakRss = (args, env = process.env) => {
  if (fs.existsSync(GNU_TIME)) {
    const r = spawnSync(GNU_TIME, ["-f", "%M", process.execPath, ...args], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 << 20 })
    const kib = Number(r.stderr.trim().split("\n").pop())
    if (r.status !== 0 || !Number.isFinite(kib)) throw new Error(`time node ${args.join(" ")} failed: ${r.stderr.trim()}`)
    return kib / 1024
  }
  const r = spawnSync(process.execPath, ["--require", PEAK_PRELOAD, ...args], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe", "pipe"], maxBuffer: 256 << 20 })
  const kib = Number(r.output[3])
  if (r.status !== 0 || !Number.isFinite(kib)) throw new Error(`node ${args.join(" ")} failed: ${r.stderr.trim()}`)
  return kib / 1024
}

/** Times one run of the bin; throws on a non-zero exit. */
export const timeHub = (sandbox, args) => {
  const t0 = nowMs()
  const r = sandbox.hub(args)
  const ms = nowMs() - t0
  if (r.code !== 0) throw new Error(`hub ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`)
  return { ms, stdout: r.stdout }
}

/** Runs each of `fns` once per round, in a rotating order, `rounds` times; returns samples per fn. */
export const interleave = (rounds, fns) => {
  const samples = fns.map(() => [])
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < fns.length; k++) {
      const i = (k + r) % fns.length
      samples[i].push(fns[i]())
    }
  }
  return samples
}

export const dbSize = (hubHome) => {
  const file = path.join(hubHome, "hub.db")
  const size = (f) => (fs.existsSync(f) ? fs.statSync(f).size : 0)
  return { db: size(file), wal: size(`${file}-wal`) }
}
