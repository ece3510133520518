/**
 * Helpers for integration tests that drive the built bin in a sandbox: hub processes that run
 * in the background (to be killed or signalled), the task and event JSON, the tmux panes of the
 * sandbox's private server, and shims that pause inside one git or tmux subcommand.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { pgSyncDb } from "../../scripts/chaos/pgdb.mjs"
import { seedTasks } from "./seed.js"
import { afterEach } from "vitest"
import { BIN, type HubResult, makeOriginRepo, makeSandbox, realBinary, type Sandbox, waitFor, writeShim } from "./sandbox.js"

export interface Running {
  readonly child: ChildProcess
  readonly pid: number
  /** Resolves when the process has exited, with its code (null when a signal ended it). */
  readonly done: Promise<HubResult & { readonly signal: NodeJS.Signals | null }>
  readonly exited: () => boolean
  /** What it has written on stderr so far (its log, for a daemon). */
  readonly stderrSoFar: () => string
}

/** Starts the bin in the background, with the sandbox's environment plus `extra`. */
export const spawnHub = (sandbox: Sandbox, args: ReadonlyArray<string>, extra: NodeJS.ProcessEnv = {}): Running => {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...sandbox.env, ...extra },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  let finished = false
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d))
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d))
  const done = new Promise<HubResult & { readonly signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => {
      finished = true
      resolve({ code, signal, stdout, stderr })
    })
  })
  return { child, pid: child.pid!, done, exited: () => finished, stderrSoFar: () => stderr }
}

/**
 * Runs the bin to its end without blocking the event loop: a test that waits on many bins in a
 * row with spawnSync starves vitest's worker RPC on a loaded machine.
 */
export const hub = (sandbox: Sandbox, args: ReadonlyArray<string>, extra: NodeJS.ProcessEnv = {}) =>
  spawnHub(sandbox, args, extra).done

/** Runs the bin and fails the test with its output unless it exits 0; resolves to stdout. */
export const hubOk = async (sandbox: Sandbox, args: ReadonlyArray<string>, extra: NodeJS.ProcessEnv = {}): Promise<string> => {
  const r = await hub(sandbox, args, extra)
  if (r.code !== 0) throw new Error(`hub ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r.stdout
}

export interface TaskJson {
  readonly id: string
  readonly status: string
  readonly attempt: number
  readonly error: string | null
  readonly window_id: string | null
  readonly pane_pid: number | null
  readonly workspace: string | null
  readonly lease_pid: number | null
  readonly tmux_socket: string | null
  readonly repo: string | null
}

export interface EventJson {
  readonly id: number
  readonly task_id: string
  readonly attempt: number
  readonly from: string | null
  readonly to: string
  readonly actor: string
  readonly reason: string
}

/** A task as `hub task show --json` prints it. */
export const showTask = async (sandbox: Sandbox, id: string): Promise<TaskJson> =>
  JSON.parse(await hubOk(sandbox, ["task", "show", id, "--json"]))

interface ReadOnlyDb {
  prepare(sql: string): { all(...params: Array<unknown>): Array<Record<string, unknown>> }
  pragma(sql: string): unknown
  close(): void
}
const Database = createRequire(import.meta.url)("better-sqlite3") as new (
  file: string,
  options: { readonly readonly: boolean; readonly fileMustExist: boolean }
) => ReadOnlyDb

/**
 * The store's rows, read directly (read-only) from `$HUB_HOME/hub.db`, or from the PostgreSQL
 * database the sandbox's HUB_DATABASE_URL names (through psql, scripts/chaos/pgdb.mjs): for
 * polling and for checks over many tasks, where a bin start per look would cost more than the
 * test itself.
 */
export const readDb = <A>(sandbox: Sandbox, f: (db: ReadOnlyDb) => A): A => {
  const url = sandbox.env.HUB_DATABASE_URL
  const db: ReadOnlyDb = url
    ? pgSyncDb(url)
    : new Database(path.join(sandbox.hubHome, "hub.db"), { readonly: true, fileMustExist: true })
  try {
    db.pragma("busy_timeout = 10000")
    return f(db)
  } finally {
    db.close()
  }
}

/** Every task row, by id order. */
export const dbTasks = (sandbox: Sandbox): Array<TaskJson> =>
  readDb(sandbox, (db) => db.prepare("SELECT * FROM tasks ORDER BY seq").all() as unknown as Array<TaskJson>)

/** One task row (same field names as the JSON). */
export const task = (sandbox: Sandbox, id: string): TaskJson => {
  const found = readDb(sandbox, (db) => db.prepare("SELECT * FROM tasks WHERE id = ?").all(id))[0]
  if (found === undefined) throw new Error(`no task ${id}`)
  return found as unknown as TaskJson
}

/** Every event row of the store, in order, with the JSON's field names. */
export const dbEvents = (sandbox: Sandbox): Array<EventJson> =>
  readDb(sandbox, (db) =>
    db.prepare("SELECT id, task_id, attempt, from_status AS \"from\", to_status AS \"to\", actor, reason FROM events ORDER BY id").all()
  ) as unknown as Array<EventJson>

/** A task's history as `hub task events ID --json` prints it. */
export const taskEvents = async (sandbox: Sandbox, id: string): Promise<Array<EventJson>> =>
  JSON.parse(await hubOk(sandbox, ["task", "events", id, "--json"]))

/** One ready task, made through the library (see seed.ts); returns its id. */
export const createTask = async (sandbox: Sandbox, title: string, repo?: string): Promise<string> =>
  (await seedTasks(sandbox, [title], repo))[0]!

/** Ready tasks in order, made through the library; returns their ids. */
export const createTasks = (sandbox: Sandbox, titles: ReadonlyArray<string>, repo?: string): Promise<Array<string>> =>
  seedTasks(sandbox, titles, repo)

export interface PaneInfo {
  readonly session: string
  readonly windowName: string
  readonly windowId: string
  readonly panePid: number
  readonly dead: boolean
  readonly deadStatus: string
}

/** Every pane of the sandbox's private tmux server (none when it is not running). */
export const panes = (sandbox: Sandbox): Array<PaneInfo> => {
  const r = sandbox.tmux([
    "list-panes", "-a", "-F",
    "#{session_name}\t#{window_name}\t#{window_id}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}"
  ])
  if (r.status !== 0) return []
  return r.stdout.split("\n").filter((l) => l !== "").map((line) => {
    const [session, windowName, windowId, pid, dead, deadStatus] = line.split("\t")
    return { session: session!, windowName: windowName!, windowId: windowId!, panePid: Number(pid), dead: dead === "1", deadStatus: deadStatus ?? "" }
  })
}

/** Windows of hub's session named like a task. */
export const taskWindows = (sandbox: Sandbox) => panes(sandbox).filter((p) => p.session === "hub" && /^TASK-\d{4,}$/.test(p.windowName))

export const liveWindows = (sandbox: Sandbox) => taskWindows(sandbox).filter((p) => !p.dead)

export const windowOf = (sandbox: Sandbox, windowId: string) => panes(sandbox).find((p) => p.windowId === windowId)

/** A repo `acme/app` added to the sandbox's hub from a fresh origin repo. */
export const addRepo = async (sandbox: Sandbox, name = "acme/app"): Promise<{ readonly origin: string; readonly bare: string }> => {
  const origin = makeOriginRepo(path.join(sandbox.dir, "origin", name.replace("/", "-")))
  await hubOk(sandbox, ["repo", "add", name, origin])
  return { origin, bare: path.join(sandbox.hubHome, "repos", `${name}.git`) }
}

/** git run directly (not through hub), with an author so commits work in a bare HOME. */
export const git = (cwd: string, ...args: Array<string>) =>
  spawnSync(realBinary("git"), args, {
    cwd,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH,
      // Never the user's own git config or credentials.
      HOME: "/nonexistent-hub-test-home",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@t",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@t",
      GIT_TERMINAL_PROMPT: "0"
    }
  })

export const gitOk = (cwd: string, ...args: Array<string>) => {
  const r = git(cwd, ...args)
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} in ${cwd} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

export const branchExists = (bare: string, branch: string) =>
  git(bare, "rev-parse", "--verify", "--quiet", `refs/heads/${branch}`).status === 0

/**
 * A shim `name` (git or tmux) in `<sandbox>/shim` that, when its arguments contain the words
 * `words` (e.g. "worktree add"), runs the real binary first (`after`) or only later (`before`),
 * writes its pid to `marker` and sleeps `seconds`: a process paused at a known point.
 * Everything else goes to the real binary at once. Returns the PATH to run hub with.
 */
export const pausingShim = (
  sandbox: Sandbox,
  options: { readonly name: "git" | "tmux"; readonly words: string; readonly when: "before" | "after"; readonly seconds: number }
): { readonly PATH: string; readonly marker: string } => {
  const real = realBinary(options.name)
  const dir = path.join(sandbox.dir, "shim")
  const marker = path.join(sandbox.dir, `paused-${options.name}-${options.words.replace(/\W+/g, "-")}`)
  const pause = `echo $$ > '${marker}.tmp' && mv '${marker}.tmp' '${marker}'; sleep ${options.seconds}`
  const body = options.when === "before"
    ? `${pause}; exec '${real}' "$@"`
    // Only a call that did its work pauses: hub may retry a refused one (a first new-window
    // on a server without hub's session) and must reach the call that succeeds.
    : `out=$('${real}' "$@"); s=$?; [ $s -eq 0 ] && { ${pause}; }; [ -n "$out" ] && printf '%s\\n' "$out"; exit $s`
  writeShim(dir, options.name, [
    `case " $* " in`,
    `  *' ${options.words} '*) ${body} ;;`,
    `esac`,
    `exec '${real}' "$@"`
  ].join("\n"))
  return { PATH: `${dir}:${process.env.PATH}`, marker }
}

/** A shim `name` whose call with the words `words` sleeps `seconds` before the real binary runs. */
export const slowShim = (sandbox: Sandbox, name: "git" | "tmux", words: string, seconds: number): string => {
  const real = realBinary(name)
  const dir = path.join(sandbox.dir, `slow-${name}`)
  writeShim(dir, name, [
    `case " $* " in *' ${words} '*) sleep ${seconds} ;; esac`,
    `exec '${real}' "$@"`
  ].join("\n"))
  return `${dir}:${process.env.PATH}`
}

/** Waits for a pausing shim to be reached; returns the shim's pid (its process group leader). */
export const waitForMarker = async (marker: string, ms = 20_000): Promise<number> => {
  const ok = await waitFor(() => fs.existsSync(marker), ms)
  if (!ok) throw new Error(`the shim never reached ${marker}`)
  return Number(fs.readFileSync(marker, "utf8").trim())
}

/** Kills a shim and the sleep it runs: hub starts children in their own process group. */
export const killShim = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2])
    if (pgid === pid) process.kill(-pgid, "SIGKILL")
    else process.kill(pid, "SIGKILL")
  } catch {
    // Already gone.
  }
}

/** Kills a background hub process if a failed assertion left it running. */
export const stop = (running: Running | undefined) => {
  if (running && !running.exited()) {
    try {
      running.child.kill("SIGKILL")
    } catch {
      // gone
    }
  }
}

/** Polls a task (in the store) until it has the status or the time is up; returns the last look. */
export const waitForStatus = async (sandbox: Sandbox, id: string, status: string, ms = 15_000): Promise<TaskJson> => {
  let last = task(sandbox, id)
  await waitFor(() => (last = task(sandbox, id)).status === status, ms, 100)
  return last
}

/**
 * A tmux shim whose `list-panes` answers as tmux sometimes does for good: a dead pane without
 * its `pane_dead_status` (the last field of hub's format).
 */
export const tmuxWithoutDeadStatus = (sandbox: Sandbox): string => {
  const real = realBinary("tmux")
  const dir = path.join(sandbox.dir, "blank-status-tmux")
  writeShim(dir, "tmux", [
    `case " $* " in`,
    `  *' list-panes '*) out=$('${real}' "$@"); s=$?; printf '%s\\n' "$out" | sed 's/\\t[0-9]*$/\\t/'; exit $s ;;`,
    `esac`,
    `exec '${real}' "$@"`
  ].join("\n"))
  return `${dir}:${process.env.PATH}`
}

/** A tmux shim that logs each call's arguments (one line per call) to the returned file. */
export const loggingTmux = (sandbox: Sandbox): { readonly PATH: string; readonly log: string } => {
  const real = realBinary("tmux")
  const dir = path.join(sandbox.dir, "logging-tmux")
  const log = path.join(sandbox.dir, "tmux-calls.log")
  writeShim(dir, "tmux", [`printf '%s\\n' "$*" >> '${log}'`, `exec '${real}' "$@"`].join("\n"))
  return { PATH: `${dir}:${process.env.PATH}`, log }
}

/** The logged tmux calls whose arguments contain `word`. */
export const loggedCalls = (log: string, word: string): Array<string> =>
  fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter((l) => l.split(" ").includes(word)) : []

/**
 * A shim `name` whose call with the words `words` waits at a gate: it writes `marker` and runs
 * the real binary only once `release()` is called. Returns the PATH to run hub with.
 */
export const gatedShim = (sandbox: Sandbox, name: "git" | "tmux", words: string) => {
  const real = realBinary(name)
  const dir = path.join(sandbox.dir, `gated-${name}`)
  const marker = path.join(sandbox.dir, `gate-${name}-reached`)
  const gate = path.join(sandbox.dir, `gate-${name}-open`)
  writeShim(dir, name, [
    `case " $* " in *' ${words} '*)`,
    `  : > '${marker}'`,
    // Gives up when the sandbox is gone, so a failed test leaves no process waiting forever.
    `  while [ ! -f '${gate}' ] && [ -d '${sandbox.dir}' ]; do sleep 0.05; done ;;`,
    `esac`,
    `exec '${real}' "$@"`
  ].join("\n"))
  return {
    PATH: `${dir}:${process.env.PATH}`,
    reached: () => fs.existsSync(marker),
    release: () => fs.writeFileSync(gate, "")
  }
}

/**
 * What one test file starts (sandboxes, hub processes, paused shims), cleaned up after each
 * test: stopped processes first, then their sandboxes and tmux servers.
 */
export const trackedWorld = () => {
  const sandboxes: Array<Sandbox> = []
  const running: Array<Running> = []
  const shims: Array<number> = []
  afterEach(() => {
    for (const r of running.splice(0)) stop(r)
    for (const pid of shims.splice(0)) killShim(pid)
    for (const s of sandboxes.splice(0)) s.dispose()
  })
  const sandbox = (name: string) => {
    const s = makeSandbox(name)
    sandboxes.push(s)
    return s
  }
  return { sandbox, running, shims }
}
