#!/usr/bin/env node
// Where the time goes: runs a hub path under `node --cpu-prof` and prints the top self-time
// functions and the self time per package/module. Not part of `npm run bench`.
//
//   node scripts/bench/profile.mjs [list|status|version|create|dispatch|dispatch-cli|claims] [--runs N] [--top N] [--keep]
//
// CLI targets run a bin built like dist/hub.cjs but with a source map (into a temp dir), so
// that time inside the bundle is attributed to the package it came from. `dispatch` profiles
// dispatchNext in-process on the built library (dist/lib), claim → live window, repeated,
// sampled through the inspector only while dispatchNext runs.
// Everything runs on a private HOME, HUB_HOME and tmux server, removed afterwards.
import { build } from "esbuild"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as inspector from "node:inspector"
import Module from "node:module"
import { BUNDLES, bundleOptions } from "../bundle-options.mjs"
import { createTasks, disposeAll, loadLibrary, log, makeOriginRepo, makeSandbox, ROOT, sandboxRuntime } from "./lib.mjs"

const args = process.argv.slice(2)
const flag = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const target = args.find((a) => !a.startsWith("-") && !/^\d+$/.test(a)) ?? "list"
const runs = flag("--runs", target === "dispatch" ? 1 : 5)
const top = flag("--top", 25)
const keep = args.includes("--keep")

// ---------------------------------------------------------------------------------------------
// Source maps (enough of the spec for esbuild's output: one source map, VLQ mappings)

const B64 = Object.fromEntries([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].map((c, i) => [c, i]))
const decodeMappings = (mappings) => {
  const lines = []
  let src = 0
  let srcLine = 0
  let srcCol = 0
  for (const lineText of mappings.split(";")) {
    const segments = []
    let genCol = 0
    for (const seg of lineText.split(",")) {
      if (seg === "") continue
      const values = []
      let value = 0
      let shift = 0
      for (const ch of seg) {
        const digit = B64[ch]
        value += (digit & 31) << shift
        if (digit & 32) shift += 5
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1)
          value = 0
          shift = 0
        }
      }
      genCol += values[0]
      if (values.length >= 4) {
        src += values[1]
        srcLine += values[2]
        srcCol += values[3]
        segments.push([genCol, src, srcLine, srcCol])
      }
    }
    lines.push(segments)
  }
  return lines
}

const makeLocator = (mapFile) => {
  const map = JSON.parse(fs.readFileSync(mapFile, "utf8"))
  const lines = decodeMappings(map.mappings)
  return (line, col) => {
    const segs = lines[line]
    if (!segs || segs.length === 0) return null
    let lo = 0
    let hi = segs.length - 1
    if (segs[0][0] > col) return null
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (segs[mid][0] <= col) lo = mid
      else hi = mid - 1
    }
    const [, src, srcLine] = segs[lo]
    return { source: path.resolve(path.dirname(mapFile), map.sources[src]), line: srcLine + 1 }
  }
}

// ---------------------------------------------------------------------------------------------
// Profiles

/** A package name for a file, or a label for hub's own code and Node's. */
const moduleOf = (file) => {
  if (!file) return "(native / V8)"
  if (file.startsWith("node:")) return "node internals"
  const f = file.replace(/^file:\/\//, "")
  const nm = f.lastIndexOf("node_modules/")
  if (nm >= 0) {
    const rest = f.slice(nm + "node_modules/".length).split("/")
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  if (f.includes("/src/") || f.includes("/dist/lib/")) return `hub ${f.slice(f.search(/\/(src|dist\/lib)\//) + 1)}`
  return path.basename(f)
}

/** Self time per node id, from the samples and their time deltas (µs). */
const selfTimes = (profile) => {
  const self = new Map()
  const { samples, timeDeltas } = profile
  for (let i = 0; i < samples.length; i++) {
    // A sample's delta is the time until the next one: charge it to the node sampled.
    const dt = timeDeltas[i + 1] ?? 0
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt)
  }
  return self
}

/** Names a profile node: its function, package/module, and a key "function  file:line". */
const describeNode = (cf, mapping) => {
  let file = cf.url
  let line = cf.lineNumber + 1
  let unmapped = null
  if (mapping && cf.url.endsWith(mapping.file)) {
    const col = cf.lineNumber === 0 ? cf.columnNumber - mapping.shift : cf.columnNumber
    const at = col < 0 ? null : mapping.locate(cf.lineNumber, col)
    if (at) {
      file = at.source
      line = at.line
    } else {
      // No mapping: the bundle's own top level (every eagerly loaded module's body runs
      // in it) or esbuild's runtime helpers (__esm lazy module init, __export, ...).
      unmapped = cf.lineNumber === 0 && cf.columnNumber <= mapping.shift
        ? "(bundle top level: module initialisation)"
        : "(esbuild runtime helpers: lazy module init, exports)"
    }
  }
  const special = cf.functionName.startsWith("(") && cf.url === ""
  const mod = special ? cf.functionName : unmapped ?? moduleOf(file)
  const where = unmapped ?? (special ? "" : `${mod === "node internals" ? file : path.relative(ROOT, file.replace(/^file:\/\//, ""))}:${line}`)
  return { mod, key: `${cf.functionName || "(anonymous)"}  ${where}`, own: mod.startsWith("hub ") }
}

const summarize = (profiles, mapping) => {
  const byFn = new Map()
  const byModule = new Map()
  // Inclusive time of hub's own functions: a sample counts once for every distinct hub
  // function on its stack (so runProcess shows what running a child process costs in all).
  const inclusive = new Map()
  let total = 0
  for (const profile of profiles) {
    const self = selfTimes(profile)
    const info = new Map(profile.nodes.map((node) => [node.id, describeNode(node.callFrame, mapping)]))
    const parent = new Map()
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
    for (const node of profile.nodes) {
      const us = self.get(node.id) ?? 0
      if (us === 0) continue
      total += us
      const { mod, key } = info.get(node.id)
      byFn.set(key, (byFn.get(key) ?? 0) + us)
      byModule.set(mod, (byModule.get(mod) ?? 0) + us)
      const seen = new Set()
      for (let id = node.id; id !== undefined; id = parent.get(id)) {
        const d = info.get(id)
        if (d.own && !seen.has(d.key)) {
          seen.add(d.key)
          inclusive.set(d.key, (inclusive.get(d.key) ?? 0) + us)
        }
      }
    }
  }
  const n = profiles.length
  const print = (title, map, limit) => {
    log(`\n${title}`)
    const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit)
    for (const [k, us] of rows) log(`  ${(us / 1000 / n).toFixed(1).padStart(8)} ms  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`)
  }
  log(`\nprofiled time: ${(total / 1000 / n).toFixed(0)} ms per run (mean of ${n})`)
  print("self time by package / module (per run):", byModule, top)
  print("top self-time functions (per run):", byFn, top)
  print("hub's own functions, inclusive time (per run; Effect code runs in fibers, so only what a hub function calls synchronously counts):", inclusive, top)
}

const readProfiles = (dir) =>
  fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")))

// ---------------------------------------------------------------------------------------------
// Targets

const profileCli = async (argv, seedTasks, hooks = {}) => {
  const sandbox = makeSandbox("profile")
  const outDir = path.join(sandbox.dir, "bundle")
  // The bin as scripts/build.mjs makes it (a launcher in front of hub-main.cjs when the
  // project has scripts/launcher.cjs, else the bundle itself), plus a source map.
  const launcherSrc = path.join(ROOT, "scripts", "launcher.cjs")
  const hasLauncher = fs.existsSync(launcherSrc)
  // Both bundles are built; the profile is read against the one the launcher runs for argv.
  const fast = argv[0] === "task" && ["list", "show", "get", "create"].includes(argv[1])
  const bundle = path.join(outDir, hasLauncher ? (fast ? "hub-fast.cjs" : "hub-main.cjs") : "hub.cjs")
  const bin = path.join(outDir, "hub.cjs")
  if (hasLauncher) {
    for (const { entry, outfile } of BUNDLES) await build({ ...bundleOptions(path.join(outDir, outfile), entry), sourcemap: "external" })
  } else await build({ ...bundleOptions(bundle), sourcemap: "external" })

  if (hasLauncher) {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"))
    fs.writeFileSync(bin, fs.readFileSync(launcherSrc, "utf8").replace("__HUB_VERSION__", version))
  }
  if (seedTasks > 0) {
    const lib = await loadLibrary()
    const rt = sandboxRuntime(lib, sandbox)
    await createTasks(lib, rt, seedTasks)
    await rt.dispose()
  }
  if (hooks.setup) await hooks.setup(sandbox)
  const profDir = path.join(sandbox.dir, "prof")
  const env = { ...sandbox.env, NODE_PATH: path.join(ROOT, "node_modules") }
  const once = (flags) => {
    if (hooks.before) hooks.before(sandbox)
    const t0 = performance.now()
    const r = spawnSync(process.execPath, [...flags, bin, ...argv], { env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" })
    const ms = performance.now() - t0
    if (r.status !== 0) throw new Error(`hub ${argv.join(" ")}: ${r.stderr}`)
    if (hooks.after) hooks.after(sandbox, r.stdout)
    return ms
  }
  // Unprofiled runs warm the page cache (and write the launcher's V8 code cache).
  for (let i = 0; i < 2; i++) once([])
  const wall = []
  for (let i = 0; i < runs; i++) wall.push(once(["--cpu-prof", "--cpu-prof-dir", profDir, "--cpu-prof-interval", "200"]))
  wall.sort((a, b) => a - b)
  log(`profile of: hub ${argv.join(" ")}${seedTasks ? ` (${seedTasks} tasks)` : ""}, ${runs} run(s), ` +
    `${hasLauncher ? "launcher + code cache + " : ""}bundle with source map; median wall ${wall[wall.length >> 1].toFixed(0)} ms (profiler on)`)
  // The launcher runs the bundle inside Module.wrap: line 1 is shifted by the wrapper.
  summarize(readProfiles(profDir), { file: path.basename(bundle), locate: makeLocator(`${bundle}.map`), shift: hasLauncher ? Module.wrapper[0].length : 0 })
  if (keep) {
    const kept = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "hub-bench-profile-kept-"))
    fs.cpSync(profDir, path.join(kept, "prof"), { recursive: true })
    fs.cpSync(outDir, path.join(kept, "bundle"), { recursive: true })
    log(`\nprofiles and the bundle kept in ${kept}`)
  }
  sandbox.dispose()
}

/**
 * dispatchNext in-process, profiled through the inspector only while each dispatch runs (the
 * task creation before it and the cleanup after it are not in the profile).
 */
const profileDispatch = async () => {
  const rounds = Math.max(runs, 20)
  const lib = await loadLibrary()
  const { Effect, Option, Ref } = lib.effect
  const sandbox = makeSandbox("profile-dispatch")
  const rt = sandboxRuntime(lib, sandbox)
  const session = new inspector.Session()
  session.connect()
  const post = (method, params = {}) =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))))
  const profiles = []
  const wall = []
  try {
    const origin = makeOriginRepo(path.join(sandbox.dir, "origin"))
    if (sandbox.hub(["repo", "add", "bench/origin", origin]).code !== 0) throw new Error("repo add failed")
    const bare = path.join(sandbox.hubHome, "repos", "bench/origin.git")
    const fetched = await rt.run(Ref.make(new Set(["bench/origin"])))
    await post("Profiler.enable")
    await post("Profiler.setSamplingInterval", { interval: 200 })
    for (let i = 0; i < rounds + 2; i++) {
      const task = await rt.run(Effect.flatMap(lib.hub.TaskStore, (s) =>
        s.create({ title: "profile", kind: "implement", status: "ready", description: "", repo: "bench/origin", links: [] })))
      const measured = i >= 2 // two warm-up dispatches first
      if (measured) await post("Profiler.start")
      const t0 = performance.now()
      const started = await rt.run(lib.hub.dispatchNext({ fetched }))
      if (measured) {
        wall.push(performance.now() - t0)
        profiles.push((await post("Profiler.stop")).profile)
      }
      if (Option.isNone(started)) throw new Error("nothing started")
      await rt.run(lib.hub.changeStatus(task.id, "cancel", "cancelled", { actor: "human", reason: "profile" }))
      spawnSync("git", ["-C", bare, "worktree", "remove", "--force", "--force", started.value.workspace])
      spawnSync("git", ["-C", bare, "branch", "-D", `agent/${task.id}`])
    }
  } finally {
    session.disconnect()
    await rt.dispose()
    sandbox.dispose()
  }
  wall.sort((a, b) => a - b)
  log(`profile of: dispatchNext in-process (dist/lib), claim → live window (fetch already done), ${rounds} dispatches; ` +
    `median wall ${wall[wall.length >> 1].toFixed(0)} ms`)
  summarize(profiles, null)
}

/** TaskStore.claimNext in-process, 3,000 claims from a fresh database, profiled through the inspector. */
const profileClaims = async () => {
  const lib = await loadLibrary()
  const { Effect } = lib.effect
  const sandbox = makeSandbox("profile-claims")
  const rt = sandboxRuntime(lib, sandbox)
  const n = 3000
  try {
    await createTasks(lib, rt, n)
    const store = await rt.run(lib.hub.TaskStore)
    const lease = { pid: process.pid, start: "profile" }
    const session = new inspector.Session()
    session.connect()
    const post = (method, params = {}) =>
      new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))))
    await post("Profiler.enable")
    await post("Profiler.setSamplingInterval", { interval: 100 })
    await post("Profiler.start")
    const t0 = performance.now()
    await rt.run(Effect.gen(function* () {
      for (let i = 0; i < n; i++) yield* store.claimNext(1_000_000, lease, "bench")
    }))
    const ms = performance.now() - t0
    const { profile } = await post("Profiler.stop")
    session.disconnect()
    log(`profile of: ${n} TaskStore.claimNext calls in one process, ${((1000 * ms) / n).toFixed(0)} µs each (profiler on)`)
    summarize([profile], null)
  } finally {
    await rt.dispose()
    sandbox.dispose()
  }
}

process.env.HOME = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "hub-bench-home-"))
delete process.env.TMUX
process.on("exit", () => {
  disposeAll()
  fs.rmSync(process.env.HOME, { recursive: true, force: true })
})

if (target === "list") await profileCli(["task", "list"], 1000)
else if (target === "status") await profileCli(["status"], 1000)
else if (target === "version") await profileCli(["--version"], 0)
else if (target === "create") await profileCli(["task", "create", "--title", "profiled"], 0)
else if (target === "dispatch-cli") {
  // `hub dispatch` of one repo task; the task is made before and undone after each run.
  await profileCli(["dispatch", "--json"], 0, {
    setup: (sandbox) => {
      const origin = makeOriginRepo(path.join(sandbox.dir, "origin"))
      if (sandbox.hub(["repo", "add", "bench/origin", origin]).code !== 0) throw new Error("repo add failed")
    },
    before: (sandbox) => {
      if (sandbox.hub(["task", "create", "--title", "profiled", "--repo", "bench/origin"]).code !== 0) throw new Error("task create failed")
    },
    after: (sandbox, stdout) => {
      const started = JSON.parse(stdout).started[0]
      if (!started) throw new Error(`nothing started: ${stdout}`)
      sandbox.hub(["task", "cancel", started.id])
      const bare = path.join(sandbox.hubHome, "repos", "bench/origin.git")
      spawnSync("git", ["-C", bare, "worktree", "remove", "--force", "--force", started.workspace])
      spawnSync("git", ["-C", bare, "branch", "-D", `agent/${started.id}`])
    }
  })
}
else if (target === "dispatch") await profileDispatch()
else if (target === "claims") await profileClaims()
else {
  process.stderr.write("usage: node scripts/bench/profile.mjs [list|status|version|create|dispatch|dispatch-cli|claims] [--runs N] [--top N] [--keep]\n")
  process.exit(2)
}
