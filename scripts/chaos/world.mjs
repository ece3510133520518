// One chaos run against the built bin: a private world (temp dir, HOME, HUB_HOME, tmux server,
// origin repos), the plan's actors and faults played out as real processes, then one
// `hub reconcile`, `hub verify`, and the checks of check.mjs. Nothing here touches ~/.hub,
// ~/.claude.json or the default tmux server; the run's tmux server is killed in every case.
import { execFileSync, spawn } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { CANARY, HOOK_EVENTS, HUMAN_WHEN, agentLine, describePlan, faultsOf, taskId } from "./plan.mjs"
import { checkHistory, checkProcesses, checkStaleHooks, readHookLog } from "./check.mjs"
import { pgSyncDb } from "./pgdb.mjs"

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
/** The bin the runs drive: dist/hub.cjs, or its snapshot (see snapshotDist). */
export let BIN = path.join(ROOT, "dist", "hub.cjs")
let DIST = path.join(ROOT, "dist")
const require = createRequire(path.join(ROOT, "package.json"))
const Database = require("better-sqlite3")

const which = (name) => execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim()
export const REAL_GIT = which("git")
export const REAL_TMUX = which("tmux")

let transitions = null
const loadTransitions = async () =>
  (transitions ??= await import(pathToFileURL(path.join(DIST, "lib", "domain", "transitions.js")).href))

/**
 * Copies dist/ to a temp dir (with node_modules linked beside it) and drives that copy, so
 * that a rebuild of dist/ during a long campaign cannot hand a run a half-written bin or mix
 * two builds. Returns { dir, bin, fingerprint, remove }.
 */
export const snapshotDist = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-chaos-dist-"))
  fs.cpSync(path.join(ROOT, "dist"), path.join(dir, "dist"), { recursive: true })
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"))
  DIST = path.join(dir, "dist")
  BIN = path.join(DIST, "hub.cjs")
  const hash = crypto.createHash("sha256")
  for (const f of ["hub.cjs", "hub-main.cjs"]) {
    try {
      hash.update(fs.readFileSync(path.join(DIST, f)))
    } catch {}
  }
  const fingerprint = hash.digest("hex").slice(0, 12)
  return { dir, bin: BIN, fingerprint, remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)))

/** Every live run's tmux socket and process groups, so that a Ctrl-C of the runner cleans up. */
export const live = { sockets: new Set(), groups: new Map(), dirs: new Set() }

export const emergencyCleanup = () => {
  for (const [pgid, socket] of live.groups) killLeftovers(pgid, socket)
  for (const socket of live.sockets) killServer(socket)
  for (const dir of live.dirs) fs.rmSync(dir, { recursive: true, force: true })
}

const socketFile = (socket) => path.join(process.env.TMUX_TMPDIR || "/tmp", `tmux-${process.getuid()}`, socket)

const killServer = (socket) => {
  try {
    execFileSync(REAL_TMUX, ["-L", socket, "kill-server"], { stdio: "ignore", timeout: 10_000 })
  } catch {}
  fs.rmSync(socketFile(socket), { force: true })
  live.sockets.delete(socket)
}

// ---------------------------------------------------------------------------------------------
// The shims and the agent

const gitShim = () => `#!/bin/sh
# chaos shim for git: slows (CHAOS_SLOW_GIT=sub=secs) or fails (CHAOS_FAIL_GIT=sub) one
# subcommand for the process that set the variable, then runs the real git.
sub="$1"
[ "$sub" = worktree ] && sub="worktree-$2"
if [ -n "$CHAOS_FAIL_GIT" ] && [ "$CHAOS_FAIL_GIT" = "$sub" ]; then
  [ -n "$CHAOS_MARKS" ] && : > "$CHAOS_MARKS/$CHAOS_PROC.git.$sub.failed"
  echo "fatal: chaos: injected failure of git $sub" >&2
  exit 1
fi
if [ -n "$CHAOS_SLOW_GIT" ] && [ "\${CHAOS_SLOW_GIT%%=*}" = "$sub" ]; then
  [ -n "$CHAOS_MARKS" ] && : > "$CHAOS_MARKS/$CHAOS_PROC.git.$sub"
  sleep "\${CHAOS_SLOW_GIT#*=}"
fi
exec '${REAL_GIT}' "$@"
`

const tmuxShim = () => `#!/bin/sh
# chaos shim for tmux: the subcommand is the first word after the server options.
sub=""
skip=0
for a in "$@"; do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  case "$a" in
    -L|-S|-f) skip=1 ;;
    -V) sub=-V; break ;;
    -*) ;;
    *) sub="$a"; break ;;
  esac
done
if [ -n "$CHAOS_FAIL_TMUX" ] && [ "$CHAOS_FAIL_TMUX" = "$sub" ]; then
  [ -n "$CHAOS_MARKS" ] && : > "$CHAOS_MARKS/$CHAOS_PROC.tmux.$sub.failed"
  echo "fatal: chaos: injected failure of tmux $sub" >&2
  exit 1
fi
if [ -n "$CHAOS_SLOW_TMUX" ] && [ "\${CHAOS_SLOW_TMUX%%=*}" = "$sub" ]; then
  [ -n "$CHAOS_MARKS" ] && : > "$CHAOS_MARKS/$CHAOS_PROC.tmux.$sub"
  sleep "\${CHAOS_SLOW_TMUX#*=}"
fi
exec '${REAL_TMUX}' "$@"
`

/**
 * HUB_AGENT_COMMAND: does what <run>/agent/$HUB_TASK_ID says, and keeps the prompt it got.
 * First it hooks as <run>/agent/$HUB_TASK_ID.hooks says (see plan.mjs hookPlan), each hook
 * `hub agent hook` with one of <run>/hook/*.json on stdin and the window's environment, each
 * logged in <run>/hooks.log (task, attempt, event) before it is sent.
 */
const agentScript = (dir) => `#!/bin/sh
unset CHAOS_SLOW_GIT CHAOS_FAIL_GIT CHAOS_SLOW_TMUX CHAOS_FAIL_TMUX CHAOS_PROC
dir='${dir}'
n=$(basename "$HUB_RUN_DIR")
printf '%s' "$HUB_TASK_PROMPT" > "$dir/prompts/$HUB_TASK_ID.$n"
echo "$HUB_TASK_ID#$n start $HUB_SESSION_ID" >> "$dir/agent.log"
hook() {
  # The newest attempt's run folder when the hook goes out: newer than $n makes the hook stale.
  newest=$(ls "$HUB_HOME/runs/$HUB_TASK_ID" 2>/dev/null | sort -n | tail -n 1)
  echo "$HUB_TASK_ID $n $1 \${newest:-$n}" >> "$dir/hooks.log"
  hub agent hook < "$dir/hook/$1.json" >> "$dir/agent.log" 2>&1
  echo "$HUB_TASK_ID#$n hooked $1: $?" >> "$dir/agent.log"
}
race=""
if [ -f "$dir/agent/$HUB_TASK_ID.hooks" ]; then
  while read -r mode event delay; do
    case "$mode" in
      fg) sleep "$delay"; hook "$event" ;;
      bg) ( trap '' HUP; sleep "$delay"; hook "$event" ) </dev/null >/dev/null 2>&1 & ;;
      race) race="$race $event" ;;
    esac
  done < "$dir/agent/$HUB_TASK_ID.hooks"
fi
fire() { for e in $race; do ( trap '' HUP; hook "$e" ) </dev/null >/dev/null 2>&1 & done; }
set -- $(cat "$dir/agent/$HUB_TASK_ID" 2>/dev/null || echo hang)
case "$1" in
  exit) sleep "$3"; fire; exit "$2" ;;
  report)
    sleep "$3"
    fire
    hub task report "$HUB_TASK_ID" --status "$2" --reason "chaos agent reports $2" >> "$dir/agent.log" 2>&1
    echo "$HUB_TASK_ID#$n reported $2: $?" >> "$dir/agent.log"
    [ "$4" = hang ] && exec sleep 600
    exit 0 ;;
  *) fire; exec sleep 600 ;;
esac
`

const writeExe = (file, text) => {
  fs.writeFileSync(file, text)
  fs.chmodSync(file, 0o755)
}

const shimEnv = (shim) => {
  const env = {}
  if (shim.slow) env[shim.slow.tool === "git" ? "CHAOS_SLOW_GIT" : "CHAOS_SLOW_TMUX"] = `${shim.slow.sub}=${shim.slow.secs}`
  if (shim.fail) env[shim.fail.tool === "git" ? "CHAOS_FAIL_GIT" : "CHAOS_FAIL_TMUX"] = shim.fail.sub
  if (shim.timeout) env[shim.timeout.tool === "git" ? "HUB_GIT_TIMEOUT" : "HUB_TMUX_TIMEOUT"] = String(shim.timeout.ms)
  return env
}

// ---------------------------------------------------------------------------------------------
// Processes

const run = (file, args, options = {}) =>
  new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], ...options })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("error", (error) => resolve({ code: null, signal: null, stdout, stderr: String(error) }))
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

/** Members of a process group that are not zombies (an orphaned git, sleep, tmux client). */
const groupMembers = (pgid) => {
  let entries
  try {
    entries = fs.readdirSync("/proc")
  } catch {
    return []
  }
  const found = []
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") found.push(Number(name))
    } catch {}
  }
  return found
}

/** Whether `pid` is one of this run's processes: it carries the run's tmux socket in its environment. */
const isOurs = (pid, socket) => {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(`HUB_TMUX_SOCKET=${socket}`)
  } catch {
    return false
  }
}

/** SIGKILLs what is left of a run's process group, one pid at a time and only its own. */
const killLeftovers = (pgid, socket) => {
  const killed = []
  for (const pid of groupMembers(pgid)) {
    if (!isOurs(pid, socket)) continue
    try {
      process.kill(pid, "SIGKILL")
      killed.push(pid)
    } catch {}
  }
  return killed
}

const CAP = 64 * 1024

class HubProcess {
  constructor(ctx, label, args, env) {
    this.label = label
    this.args = args
    this.t0 = Date.now()
    this.stdout = ""
    this.stderr = ""
    this.alive = true
    this.signals = []
    this.child = spawn(process.execPath, [BIN, ...args], {
      cwd: ctx.dir,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"]
    })
    this.pid = this.child.pid
    if (this.pid !== undefined) {
      live.groups.set(this.pid, ctx.socket)
      ctx.groups.add(this.pid)
    }
    this.child.stdout.on("data", (d) => this.stdout.length < CAP && (this.stdout += d))
    this.child.stderr.on("data", (d) => this.stderr.length < CAP && (this.stderr += d))
    this.closed = new Promise((resolve) => this.child.on("close", resolve))
    this.exited = new Promise((resolve) => {
      this.child.on("error", (error) => {
        this.alive = false
        resolve({ code: null, signal: null, error: String(error), ms: Date.now() - this.t0 })
      })
      this.child.on("exit", (code, signal) => {
        this.alive = false
        resolve({ code, signal, ms: Date.now() - this.t0 })
      })
    })
  }

  /** When the daemon logged "daemon started" (or its exit, or `ms` past spawn). */
  async started(ms) {
    const end = this.t0 + ms
    while (this.alive && !this.stderr.includes("daemon started") && Date.now() < end) await sleep(10)
    return Date.now()
  }

  /** Sends a signal to the process or its whole group; false when it had already exited. */
  kill(sig, target = "pid") {
    if (!this.alive) return false
    try {
      process.kill(target === "group" ? -this.pid : this.pid, sig)
      this.signals.push({ sig, target, at: Date.now() - this.t0 })
      return true
    } catch {
      return false
    }
  }

  /** Waits for the exit (and briefly for the pipes); SIGKILLs the process after `ms`. */
  async wait(ms) {
    let timer
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve("timeout"), ms)))
    const first = await Promise.race([this.exited, timeout])
    clearTimeout(timer)
    let hung = false
    if (first === "timeout" && this.alive) {
      hung = true
      this.kill("SIGKILL", "pid")
    }
    const result = await this.exited
    // Orphans (a shim's sleep) may hold the pipes open: do not wait on them for long.
    let pipeTimer
    await Promise.race([this.closed, new Promise((resolve) => (pipeTimer = setTimeout(resolve, 300)))])
    clearTimeout(pipeTimer)
    return { ...result, hung }
  }
}

// ---------------------------------------------------------------------------------------------
// One run

const fill = (text, canary) => text.replaceAll(CANARY, canary)

/**
 * Plays `plan` and checks the result. Returns { ok, steps, invariants, faults, fired, stats,
 * dir }. Never throws for a hub failure; a harness error is reported as the `harness` check.
 */
export const runPlan = async (plan, options = {}) => {
  const started = Date.now()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-chaos-"))
  const socket = `hub-chaos-${crypto.randomBytes(6).toString("hex")}`
  live.sockets.add(socket)
  live.dirs.add(dir)
  const steps = []
  const ctx = {
    dir,
    socket,
    groups: new Set(),
    step: (text) => steps.push(`+${String(Date.now() - (ctx.t0 ?? started)).padStart(5)}ms ${text}`)
  }
  const invariants = {}
  const fired = []
  const stats = {}
  let db = null
  try {
    const home = path.join(dir, "home")
    const hubHome = path.join(dir, plan.home)
    const canary = path.join(dir, "canary")
    const marks = path.join(dir, "marks")
    const shims = path.join(dir, "shims")
    for (const d of [home, marks, shims, path.join(dir, "agent"), path.join(dir, "prompts"), path.join(dir, "hook")]) fs.mkdirSync(d, { recursive: true })
    for (const [kind, payload] of Object.entries(HOOK_EVENTS)) fs.writeFileSync(path.join(dir, "hook", `${kind}.json`), JSON.stringify(payload))
    writeExe(path.join(shims, "git"), gitShim())
    writeExe(path.join(shims, "tmux"), tmuxShim())
    const agentPath = path.join(dir, "agent.sh")
    writeExe(agentPath, agentScript(dir))

    const basePath = process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin"
    const cleanEnv = {
      PATH: basePath,
      HOME: home,
      HUB_HOME: hubHome,
      HUB_TMUX_SOCKET: socket,
      HUB_TMUX_SESSION: "hub",
      HUB_AGENT_COMMAND: agentPath,
      HUB_DISPATCH_CAP: String(plan.cap),
      // Chaos daemons serve no board: parallel runs would all want port 4820.
      HUB_BOARD_PORT: "off",
      LANG: "C.UTF-8"
    }
    // `--postgres`: the run's store is a new database of the runner's server.
    const databaseUrl = options.postgres ? options.postgres.createDatabase("chaos") : null
    if (databaseUrl) cleanEnv.HUB_DATABASE_URL = databaseUrl
    if (plan.idleAfter) cleanEnv.HUB_IDLE_AFTER = plan.idleAfter
    if (process.env.TMUX_TMPDIR) cleanEnv.TMUX_TMPDIR = process.env.TMUX_TMPDIR
    const env = { ...cleanEnv, PATH: `${shims}:${basePath}`, CHAOS_MARKS: marks }
    const tmux = (args) => run(REAL_TMUX, ["-L", socket, ...args], { env: cleanEnv })
    const hub = (label, args, e = env) => new HubProcess(ctx, label, args, e)

    // Origins: real repos with one commit on main, added with `hub repo add`.
    const gitEnv = { ...cleanEnv, GIT_AUTHOR_NAME: "c", GIT_AUTHOR_EMAIL: "c@c", GIT_COMMITTER_NAME: "c", GIT_COMMITTER_EMAIL: "c@c" }
    const setup = []
    const createTimes = []
    const addRepos = Promise.all(plan.repos.map(async (name) => {
      const origin = path.join(dir, "origins", name.split("/")[1])
      fs.mkdirSync(origin, { recursive: true })
      for (const args of [["init", "-q", "-b", "main"], ["add", "README.md"], ["commit", "-q", "-m", "initial"]]) {
        if (args[0] === "add") fs.writeFileSync(path.join(origin, "README.md"), `# ${name}\n`)
        const r = await run(REAL_GIT, args, { cwd: origin, env: gitEnv })
        if (r.code !== 0) throw new Error(`git ${args[0]} in the origin: ${r.stderr.trim()}`)
      }
      const p = hub(`repo-${name}`, ["repo", "add", name, origin], cleanEnv)
      const r = await p.wait(120_000)
      ctx.step(`hub repo add ${name} ${origin} → exit ${r.code}`)
      if (r.code !== 0) setup.push(`hub repo add ${name} exited ${r.code}: ${p.stderr.trim()}`)
    }))

    addRepos.catch(() => {}) // awaited below; a rejection before then is not unhandled

    // Tasks, one at a time so that the plan's n-th task is TASK-000n, while the repos are
    // being added (two processes may create the database at once).
    for (const [i, t] of plan.tasks.entries()) {
      // `--opt=value` does not take an empty or multi-line value in @effect/cli: separate words.
      const args = ["task", "create", "--title", fill(t.title, canary), "--kind", t.kind]
      if (t.description !== "") args.push("--description", fill(t.description, canary))
      if (t.repo) args.push("--repo", t.repo)
      if (t.status === "backlog") args.push("--status", "backlog")
      const p = hub(`create-${i + 1}`, args, cleanEnv)
      const r = await p.wait(120_000)
      createTimes.push(r.ms)
      const id = p.stdout.trim()
      ctx.step(`hub task create ${taskId(i)} → exit ${r.code} ${JSON.stringify(id)}`)
      if (r.code !== 0 || id !== taskId(i)) setup.push(`task create #${i + 1} exited ${r.code} printing ${JSON.stringify(id)}: ${p.stderr.trim()}`)
      fs.writeFileSync(path.join(dir, "agent", taskId(i)), `${agentLine(t.agent)}\n`)
      if (t.hooks.length > 0) fs.writeFileSync(path.join(dir, "agent", `${taskId(i)}.hooks`), t.hooks.map((h) => `${h.mode} ${h.event} ${h.delay}\n`).join(""))
    }
    await addRepos
    invariants.setup = setup
    if (setup.length > 0) throw new SetupFailed(setup.join("; "))
    // What a start-up costs on this machine right now: `time` triggers count from there.
    const startup = [...createTimes].sort((a, b) => a - b)[Math.floor(createTimes.length / 2)] ?? 500

    db = databaseUrl ? pgSyncDb(databaseUrl) : new Database(path.join(hubHome, "hub.db"), { readonly: true, fileMustExist: true })
    db.pragma("busy_timeout = 5000")
    const leaseOf = db.prepare("SELECT id FROM tasks WHERE lease_pid = ?")

    // The faults.
    ctx.t0 = Date.now()
    ctx.step(`start: cap ${plan.cap}, socket ${socket}, start-up ≈ ${startup}ms`)
    const procs = []

    const deliver = async (actor, p) => {
      const { sig, target, trigger } = actor.signal
      let when
      if (trigger.on === "mark") {
        const file = path.join(marks, `${actor.id}.${trigger.mark}`)
        while (p.alive && !fs.existsSync(file)) await sleep(10)
        if (!p.alive) {
          ctx.step(`${actor.id}: ${sig} not sent: exited before the slow ${trigger.mark}`)
          fired.push(`${sig} ${actor.kind}: not sent (exited first)`)
          return
        }
        await sleep(trigger.after)
        when = `${trigger.after}ms into the slow ${trigger.mark}`
      } else if (trigger.on === "claim") {
        let claimed = null
        while (p.alive && claimed === null) {
          try {
            claimed = leaseOf.get(p.pid)?.id ?? null
          } catch {}
          if (claimed === null) await sleep(8)
        }
        if (!p.alive) {
          ctx.step(`${actor.id}: ${sig} not sent: exited without a claim seen`)
          fired.push(`${sig} ${actor.kind}: not sent (exited first)`)
          return
        }
        await sleep(trigger.after)
        when = `${trigger.after}ms after it claimed ${claimed}`
      } else if (actor.kind === "daemon") {
        const up = await p.started(20_000)
        await sleep(up + trigger.after - Date.now())
        when = `${trigger.after}ms after it started`
      } else {
        await sleep(p.t0 + startup + trigger.after - Date.now())
        when = `${trigger.after}ms after a start-up's time`
      }
      const holding = (() => {
        try {
          return leaseOf.get(p.pid)?.id ?? null
        } catch {
          return null
        }
      })()
      if (p.kill(sig, target)) {
        ctx.step(`${actor.id}: ${sig} to ${target} ${p.pid} ${when}${holding ? ` (holding the lease of ${holding})` : ""}`)
        fired.push(`${sig} ${actor.kind}${holding ? " holding a claim" : ""}`)
      } else {
        ctx.step(`${actor.id}: ${sig} not sent: already exited (${when})`)
        fired.push(`${sig} ${actor.kind}: not sent (exited first)`)
      }
    }

    const playActor = async (actor) => {
      await sleep(ctx.t0 + actor.at - Date.now())
      const args = ["--log-level", "info", ...(actor.kind === "dispatch" ? ["dispatch"] : ["daemon", "--interval", actor.interval])]
      const p = hub(actor.id, args, { ...env, CHAOS_PROC: actor.id, ...shimEnv(actor.shim) })
      const record = { actor, p, result: null }
      procs.push(record)
      ctx.step(`${actor.id}: spawned hub ${args.join(" ")} pid ${p.pid}`)
      const side = []
      if (actor.signal) side.push(deliver(actor, p))
      if (actor.kind === "daemon") {
        side.push((async () => {
          // The horizon counts from the daemon's start, so that a loaded machine still sees ticks.
          const up = await p.started(20_000)
          await sleep(up + plan.horizon - Date.now())
          if (p.signals.length === 0 && p.kill("SIGTERM", "pid")) ctx.step(`${actor.id}: SIGTERM (stop at the horizon)`)
        })())
      }
      const limit = actor.kind === "dispatch" ? 90_000 : plan.horizon + 60_000
      record.result = await p.wait(limit)
      await Promise.all(side)
      const r = record.result
      ctx.step(`${actor.id}: exited ${r.signal ? `by ${r.signal}` : `with ${r.code}`} after ${r.ms}ms${r.hung ? " (HUNG: killed)" : ""}`)
      for (const line of p.stderr.split("\n").filter((l) => l.trim() !== "").slice(0, 40)) {
        ctx.step(`${actor.id}| ${line.replace(/^\d{4}-\d\d-\d\dT/, "").slice(0, 400)}`)
      }
    }

    const hubWindows = async () => {
      const listed = await tmux(["list-windows", "-a", "-F", "#{window_id}\t#{window_name}"])
      return listed.stdout.split("\n").map((l) => l.split("\t")).filter(([, name]) => /^TASK-\d+$/.test(name ?? ""))
        .sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]))
    }
    const statusOf = db.prepare("SELECT status FROM tasks WHERE id = ?")

    const disrupt = async (d, i) => {
      await sleep(ctx.t0 + d.at - Date.now())
      const id = d.kind === "human" ? taskId(d.task) : null
      // Wait for the moment: a hub window exists, or the task is where the command applies.
      const ready = d.kind !== "human"
        ? async () => (await hubWindows()).length > 0
        : async () => {
          try {
            return HUMAN_WHEN[d.action].includes(statusOf.get(id)?.status)
          } catch {
            return false
          }
        }
      let moment = false
      while (!ctx.actorsDone && !(moment = await ready())) await sleep(30)
      if (moment) await sleep(d.after)
      if (d.kind === "kill-window") {
        const windows = await hubWindows()
        const target = windows.length ? windows[d.nth % windows.length] : null
        if (target) await tmux(["kill-window", "-t", target[0]])
        ctx.step(target ? `killed window ${target[0]} (${target[1]}) by hand` : "kill-window: no hub window to kill")
        fired.push(target ? "window killed by hand" : "window killed by hand: none there")
      } else if (d.kind === "kill-server") {
        const windows = await hubWindows()
        const r = await tmux(["kill-server"])
        ctx.step(`killed the tmux server by hand (${windows.length} hub window(s)): exit ${r.code}`)
        fired.push("tmux server killed by hand")
      } else {
        const p = hub(`h${i + 1}`, ["task", d.action, id], cleanEnv)
        const record = { actor: { id: `h${i + 1}`, kind: "human" }, p, result: null }
        procs.push(record)
        const r = await p.wait(90_000)
        record.result = r
        ctx.step(`hub task ${d.action} ${id} → exit ${r.code}: ${(p.stdout + p.stderr).trim().split("\n")[0]?.slice(0, 160) ?? ""}`)
        fired.push(`human task ${d.action}: ${r.code === 0 ? "done" : "refused"}`)
      }
    }

    const disrupted = Promise.all(plan.disruptions.map(disrupt))
    await Promise.all(plan.actors.map(playActor))
    ctx.actorsDone = true
    await disrupted

    // Settle: orphans of killed processes (a shim's sleep, then git or tmux) finish first, as
    // they would in real life within milliseconds; then finite agents end.
    for (const pgid of ctx.groups) {
      const end = Date.now() + 20_000
      while (groupMembers(pgid).some((pid) => isOurs(pid, socket)) && Date.now() < end) await sleep(25)
      const killed = killLeftovers(pgid, socket)
      if (killed.length) ctx.step(`group ${pgid} still had live members after 20 s: SIGKILL ${killed.join(", ")}`)
    }
    ctx.step("all hub processes and their children have ended")
    const finite = new Set(plan.tasks.flatMap((t, i) => (t.agent.kind === "hang" || (t.agent.kind === "report" && t.agent.then === "hang") ? [] : [taskId(i)])))
    const settleEnd = Date.now() + 20_000
    let waiting = []
    while (Date.now() < settleEnd) {
      const panes = await tmux(["list-panes", "-a", "-F", "#{window_name}\t#{pane_dead}"])
      waiting = panes.stdout.split("\n").map((l) => l.split("\t")).filter(([name, dead]) => finite.has(name) && dead === "0").map(([n]) => n)
      if (waiting.length === 0) break
      await sleep(50)
    }
    ctx.step(waiting.length ? `agents still running after 20 s: ${waiting.join(", ")}` : "every agent that ends has ended")

    // A stale attempt's hook (plan.ghost): every failed task whose agent had started is retried
    // and dispatched once more with a silent agent (it hangs and never hooks); then every task
    // with a newer attempt than its first gets a hook from its first attempt's window (that
    // attempt's HUB_SESSION_ID and HUB_RUN_DIR). Any hook-driven policy move of the newer attempt
    // could only come from the stale hook: check.mjs's stale-hooks catches it.
    if (plan.ghost) {
      const startsOf = () => {
        let log = ""
        try {
          log = fs.readFileSync(path.join(dir, "agent.log"), "utf8")
        } catch {} // no agent ever started
        const starts = new Map()
        for (const l of log.split("\n")) {
          const m = /^(TASK-\d+)#(\d+) start (\S+)$/.exec(l)
          if (m && !starts.has(`${m[1]}#${m[2]}`)) starts.set(`${m[1]}#${m[2]}`, m[3])
        }
        return starts
      }
      const before = startsOf()
      // Whatever this dispatch starts (a retried task, or any task still ready) is silent and
      // hangs: an agent that exits would race the final reconcile and verify.
      for (const [i] of plan.tasks.entries()) {
        fs.writeFileSync(path.join(dir, "agent", taskId(i)), "hang\n")
        fs.rmSync(path.join(dir, "agent", `${taskId(i)}.hooks`), { force: true })
      }
      const retried = []
      for (const row of db.prepare("SELECT id, attempt FROM tasks WHERE status = 'failed' ORDER BY id").all()) {
        if (!before.has(`${row.id}#${row.attempt}`)) continue
        const p = hub(`retry-${row.id}`, ["task", "retry", row.id], cleanEnv)
        const record = { actor: { id: `retry-${row.id}`, kind: "human" }, p, result: null }
        procs.push(record)
        record.result = await p.wait(60_000)
        if (record.result.code === 0) retried.push(row.id)
      }
      if (retried.length > 0) {
        const p = hub("ghost-dispatch", ["dispatch"], cleanEnv)
        const record = { actor: { id: "ghost-dispatch", kind: "dispatch" }, p, result: null }
        procs.push(record)
        record.result = await p.wait(90_000)
        ctx.step(`retried ${retried.join(", ")} with a silent agent; hub dispatch → exit ${record.result.code}`)
      }
      const starts = startsOf()
      let sent = 0
      for (const row of db.prepare("SELECT id, attempt FROM tasks WHERE attempt > 1 ORDER BY id").all()) {
        const session = starts.get(`${row.id}#1`)
        if (session === undefined) continue
        fs.appendFileSync(path.join(dir, "hooks.log"), `${row.id} 1 ${plan.ghost} ${row.attempt}\n`)
        const g = hub(`ghost-${row.id}`, ["agent", "hook", JSON.stringify(HOOK_EVENTS[plan.ghost])], {
          ...cleanEnv,
          HUB_TASK_ID: row.id,
          HUB_SESSION_ID: session,
          HUB_RUN_DIR: path.join(hubHome, "runs", row.id, "1")
        })
        const r = await g.wait(30_000)
        sent++
        ctx.step(`stale hook '${plan.ghost}' of ${row.id}#1 (now at attempt ${row.attempt}) → exit ${r.code}${g.stderr.trim() ? `: ${g.stderr.trim().slice(0, 200)}` : ""}`)
      }
      // Long enough for an idle policy to fire, were the stale idle taken for the current one's.
      if (sent > 0 && plan.idleAfter) await sleep((plan.idleAfter.endsWith("ms") ? Number(plan.idleAfter.slice(0, -2)) : Number(plan.idleAfter.slice(0, -1)) * 1000) + 200)
    }

    // One reconcile, then verify, on a clean PATH.
    const rec = hub("reconcile", ["reconcile"], cleanEnv)
    const recResult = await rec.wait(120_000)
    await rec.closed
    ctx.step(`hub reconcile → exit ${recResult.code}: ${rec.stdout.trim().split("\n").join(" | ").slice(0, 600)}${rec.stderr.trim() ? ` stderr: ${rec.stderr.trim().slice(0, 300)}` : ""}`)
    const ver = hub("verify", ["verify", "--json"], cleanEnv)
    const verResult = await ver.wait(120_000)
    await ver.closed
    let verdict = null
    try {
      verdict = JSON.parse(ver.stdout)
    } catch {}
    const violations = verdict?.violations?.map((v) => v.message) ?? []
    ctx.step(`hub verify → exit ${verResult.code}${violations.length ? `: ${violations.join("; ")}` : ""}`)
    invariants.reconcile = recResult.code === 0 ? [] : [`hub reconcile exited ${recResult.code}: ${rec.stderr.trim().slice(0, 300)}`]
    invariants.verify = verResult.code === 0 && verdict?.ok === true
      ? []
      : violations.length ? violations : [`hub verify exited ${verResult.code}: ${(ver.stdout + ver.stderr).trim().slice(0, 300)}`]

    // The history.
    const { isEdge } = await loadTransitions()
    const history = checkHistory({ db, cap: plan.cap, isEdge })
    Object.assign(invariants, history.violations)
    Object.assign(stats, history.stats)
    const hooked = readHookLog(path.join(dir, "hooks.log"))
    invariants["stale-hooks"] = checkStaleHooks({ db, hooked })
    stats.hooksSent = hooked.length
    stats.staleHooks = hooked.filter((h) => h.newest > h.attempt).length
    for (const h of hooked) if (h.newest > h.attempt) fired.push(`stale hook ${h.event} (attempt ${h.attempt} after attempt ${h.newest} started)`)
    stats.policyMoves = Object.fromEntries(db.prepare(
      `SELECT from_status || ' → ' || to_status AS move, count(*) AS n FROM events WHERE actor = 'reconciler'
       AND (reason LIKE 'agent waiting for permission:%' OR reason LIKE 'agent turn failed:%' OR reason LIKE 'agent idle for %'
         OR reason LIKE 'agent is working again%' OR reason LIKE 'agent stalled:%') GROUP BY move`
    ).all().map((r) => [r.move, r.n]))
    stats.finalStatuses = db.prepare("SELECT status, count(*) AS n FROM tasks GROUP BY status").all()

    // Hostile text: never executed, always delivered intact.
    const canaries = []
    const walk = (d, depth = 0) => {
      if (depth > 12) return
      let entries = []
      try {
        entries = fs.readdirSync(d, { withFileTypes: true })
      } catch {
        return
      }
      for (const e of entries) {
        if (e.name.startsWith("canary")) canaries.push(path.join(d, e.name))
        if (e.isDirectory() && !e.isSymbolicLink()) walk(path.join(d, e.name), depth + 1)
      }
    }
    walk(dir)
    for (const f of ["/canary", "/canary-home", path.join(os.tmpdir(), "canary-home")]) if (fs.existsSync(f)) canaries.push(f)
    invariants.canary = canaries.map((f) => `hostile text was executed: ${f} exists`)

    const intact = []
    for (const file of fs.readdirSync(path.join(dir, "prompts"))) {
      const id = file.split(".")[0]
      const t = plan.tasks[Number(id.slice(5)) - 1]
      if (!t) continue
      const prompt = fs.readFileSync(path.join(dir, "prompts", file), "utf8")
      if (!prompt.includes(fill(t.title, canary))) intact.push(`${file}: the agent's prompt lacks the exact title`)
      if (t.description.trim() !== "" && !prompt.includes(fill(t.description, canary))) intact.push(`${file}: the agent's prompt lacks the exact description`)
    }
    invariants["text-intact"] = intact
    stats.agentsStarted = fs.readdirSync(path.join(dir, "prompts")).length

    invariants.processes = checkProcesses(procs)
    for (const m of fs.readdirSync(marks)) fired.push(m.endsWith(".failed") ? `injected ${m.split(".").slice(1, -1).join(" ")} failure` : `slow ${m.split(".").slice(1).join(" ")} reached`)
  } catch (error) {
    if (error instanceof SetupFailed) ctx.step(`setup failed: ${error.message}`)
    else {
      invariants.harness = [`harness error: ${error?.stack ?? error}`]
      ctx.step(`harness error: ${error?.message ?? error}`)
    }
  } finally {
    try {
      db?.close()
    } catch {}
    for (const pgid of ctx.groups) {
      killLeftovers(pgid, socket)
      live.groups.delete(pgid)
    }
    killServer(socket)
  }
  const failed = Object.entries(invariants).filter(([, v]) => v.length > 0).map(([k]) => k)
  const ok = failed.length === 0
  // A background hook that ignored SIGHUP may still be writing into the run dir.
  if (ok && !options.keep) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
    } catch {}
  }
  live.dirs.delete(dir)
  return {
    seed: plan.seed,
    ok,
    failed,
    ms: Date.now() - started,
    dir,
    plan: describePlan(plan),
    steps,
    invariants,
    faults: faultsOf(plan),
    fired,
    stats
  }
}

class SetupFailed extends Error {}
