/**
 * Helpers for the CLI tests: they run the built bin (dist/hub.cjs) as a user would and look
 * at the SQLite file only to set up states the CLI cannot reach on its own (in-progress,
 * failed, an old updated_at) and to prove that a refused operation changed nothing.
 */
import { execFileSync, spawn, type SpawnOptions } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, expect } from "@effect/vitest"
import { BIN, type HubResult, makeSandbox, ROOT, type Sandbox } from "../support/sandbox.js"

// ---------------------------------------------------------------------------------------------
// Building the bin once per run
// ---------------------------------------------------------------------------------------------

const newestMtime = (dir: string): number => {
  let newest = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs)
  }
  return newest
}

/**
 * The bin is a launcher (dist/hub.cjs) and the bundles beside it: the full CLI, the fast path
 * and `hub agent hook`'s.
 */
const BIN_OUTPUTS = [BIN, ...["hub-main.cjs", "hub-fast.cjs", "hub-hook.cjs"].map((name) => path.join(ROOT, "dist", name))]

const isFresh = (): boolean => {
  if (!fs.existsSync(BIN)) return false
  const scripts = path.join(ROOT, "scripts")
  const inputs = Math.max(
    newestMtime(path.join(ROOT, "src")),
    ...fs.readdirSync(scripts, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => fs.statSync(path.join(scripts, e.name)).mtimeMs)
  )
  const built = Math.min(...BIN_OUTPUTS.filter((f) => fs.existsSync(f)).map((f) => fs.statSync(f).mtimeMs))
  return built >= inputs
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Builds dist/hub.cjs (`node scripts/build.mjs --bin-only`) when it is missing or older than
 * src/. Test files run in parallel forks: a lock directory makes one of them build while the
 * others wait, and nobody runs a half-written bundle.
 */
export const ensureBuilt = async (): Promise<void> => {
  const lock = path.join(os.tmpdir(), `hub-cli-test-build-${createHash("sha1").update(ROOT).digest("hex").slice(0, 12)}.lock`)
  for (;;) {
    try {
      fs.mkdirSync(lock)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
      // A lock left by a killed run must not block every later one.
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 180_000) fs.rmSync(lock, { recursive: true, force: true })
      } catch {
        // gone meanwhile
      }
      await sleep(100)
      continue
    }
    try {
      if (!isFresh()) {
        execFileSync(process.execPath, [path.join(ROOT, "scripts", "build.mjs"), "--bin-only"], { cwd: ROOT, stdio: "pipe" })
      }
      return
    } finally {
      fs.rmSync(lock, { recursive: true, force: true })
    }
  }
}

/** One sandbox per describe block; the tests inside work on the ids they create. */
export const sandboxFor = (name: string) => {
  const holder = {} as { sb: Sandbox }
  beforeAll(() => {
    holder.sb = makeSandbox(name)
  })
  afterAll(() => holder.sb?.dispose())
  return holder
}

// ---------------------------------------------------------------------------------------------
// Running the bin
// ---------------------------------------------------------------------------------------------

/**
 * Runs a program to its end, asynchronously, with no stdin, collecting stdout and stderr: a
 * test file made of synchronous spawns would block the worker's event loop for longer than
 * vitest's RPC timeout.
 */
export const runProgram = (
  command: string,
  args: ReadonlyArray<string>,
  options: Omit<SpawnOptions, "stdio"> = {}
): Promise<HubResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/**
 * Runs the built bin like `sandbox.hub` (same environment), but asynchronously and in a working
 * directory of the test's choosing.
 */
export const hubIn = (
  sandbox: Sandbox,
  cwd: string,
  args: ReadonlyArray<string>,
  vars: NodeJS.ProcessEnv = {}
): Promise<HubResult> => nodeIn(sandbox, cwd, BIN, args, vars)

/** `node SCRIPT ARGS` as the sandbox's hub runs (the bin, or one of its bundles directly). */
export const nodeIn = (
  sandbox: Sandbox,
  cwd: string,
  script: string,
  args: ReadonlyArray<string>,
  vars: NodeJS.ProcessEnv = {}
): Promise<HubResult> =>
  runProgram(process.execPath, [script, ...args], { cwd, env: { ...sandbox.env, ...vars }, timeout: 60_000 })

/** `hub ARGS` in the sandbox (run from the sandbox's directory). */
export const hub = (sandbox: Sandbox, args: ReadonlyArray<string>, vars: NodeJS.ProcessEnv = {}) =>
  hubIn(sandbox, sandbox.dir, args, vars)

const show = (r: HubResult) => JSON.stringify(r, null, 2)

/** A successful command: exit 0, nothing on stderr. Returns stdout. */
export const ok = (r: HubResult): string => {
  expect(r.code, show(r)).toBe(0)
  expect(r.stderr, show(r)).toBe("")
  return r.stdout
}

export const okJson = <A = any>(r: HubResult): A => JSON.parse(ok(r)) as A

/**
 * The error contract: exit `code`, nothing on stdout, exactly one line on stderr that starts
 * with `hub: `, and no stack trace, error dump, defect or colour codes.
 */
export const failsWith = (r: HubResult, code: 1 | 2, message?: RegExp): string => {
  expect(r.code, show(r)).toBe(code)
  expect(r.stdout, show(r)).toBe("")
  expect(r.stderr, show(r)).toMatch(/^hub: \S[^\n]*\n$/)
  expect(r.stderr, show(r)).not.toMatch(/^\s*at\s/m)
  expect(r.stderr, show(r)).not.toMatch(/\b\w*Error:/)
  // A bad input is a typed refusal, never a defect that the CLI caught at the last moment.
  expect(r.stderr, show(r)).not.toMatch(/internal error/i)
  expect(r.stderr, show(r)).not.toMatch(/\{\s*"?_tag/)
  expect(r.stderr, show(r)).not.toContain("\u001b[")
  if (message) expect(r.stderr, show(r)).toMatch(message)
  return r.stderr
}

/** `task create` that must succeed; returns the id it printed. */
export const create = async (sandbox: Sandbox, args: ReadonlyArray<string> = [], title = "a task"): Promise<string> => {
  const out = ok(await hub(sandbox, ["task", "create", "--title", title, ...args]))
  expect(out).toMatch(/^TASK-\d{4,}\n$/)
  return out.trim()
}

export const showJson = async (sandbox: Sandbox, id: string) => okJson(await hub(sandbox, ["task", "show", id, "--json"]))
export const eventsJson = async (sandbox: Sandbox, id: string) =>
  okJson<Array<any>>(await hub(sandbox, ["task", "events", id, "--json"]))

// ---------------------------------------------------------------------------------------------
// The SQLite file, through better-sqlite3 (hub's own driver, from node_modules)
// ---------------------------------------------------------------------------------------------

interface Statement {
  run(...params: ReadonlyArray<unknown>): { readonly changes: number }
  all(...params: ReadonlyArray<unknown>): Array<Record<string, unknown>>
}
interface Database {
  prepare(sql: string): Statement
  transaction<F extends (...args: Array<any>) => unknown>(fn: F): F
  close(): void
}
type DatabaseConstructor = new (file: string, options?: { readonly readonly?: boolean; readonly fileMustExist?: boolean }) => Database

const BetterSqlite3 = createRequire(import.meta.url)("better-sqlite3") as DatabaseConstructor

export const dbFile = (sandbox: Sandbox) => path.join(sandbox.hubHome, "hub.db")

export const withDb = <A>(sandbox: Sandbox, f: (db: Database) => A): A => {
  const db = new BetterSqlite3(dbFile(sandbox), { fileMustExist: true })
  try {
    return f(db)
  } finally {
    db.close()
  }
}

/** Everything the store holds, rows and history, as one comparable string. */
export const dbSnapshot = (sandbox: Sandbox): string =>
  fs.existsSync(dbFile(sandbox))
    ? withDb(sandbox, (db) =>
      JSON.stringify({
        tasks: db.prepare("SELECT * FROM tasks ORDER BY seq").all(),
        events: db.prepare("SELECT * FROM events ORDER BY id").all(),
        attempts: db.prepare("SELECT * FROM attempts ORDER BY task_id, attempt").all(),
        deps: db.prepare("SELECT * FROM task_deps ORDER BY task_seq, dep_seq").all()
      }))
    : "no database"

/**
 * Puts a task into a status the CLI alone cannot reach (in-progress needs a dispatch, failed
 * a failed one). It goes through `rev` like the store does, so the history records it.
 */
export const forceStatus = (
  sandbox: Sandbox,
  id: string,
  status: string,
  options: { readonly error?: string; readonly newAttempt?: boolean } = {}
) =>
  withDb(sandbox, (db) => {
    const r = db.prepare(
      `UPDATE tasks SET status = ?, rev = rev + 1, attempt = attempt + ?, error = ?,
              change_actor = 'dispatcher', change_reason = 'test setup', updated_at = ?
       WHERE id = ?`
    ).run(status, options.newAttempt ? 1 : 0, options.error ?? null, new Date().toISOString(), id)
    expect(r.changes).toBe(1)
  })

/** Makes a task look untouched for `days` days. */
export const age = (sandbox: Sandbox, id: string, days: number) =>
  withDb(sandbox, (db) => {
    const at = new Date(Date.now() - days * 24 * 3600_000).toISOString()
    expect(db.prepare("UPDATE tasks SET updated_at = ? WHERE id = ?").run(at, id).changes).toBe(1)
  })

/** Adds `count` ready tasks straight into the file (the store must already exist). */
export const bulkInsert = (sandbox: Sandbox, count: number, title: (n: number) => string = (n) => `bulk task ${n}`) =>
  withDb(sandbox, (db) => {
    const start = Number((db.prepare("SELECT COALESCE(MAX(seq), 0) AS n FROM tasks").all()[0] as { n: number }).n)
    const insert = db.prepare(
      `INSERT INTO tasks (seq, id, title, kind, status, change_actor, change_reason, created_at, updated_at)
       VALUES (?, ?, ?, 'implement', 'ready', 'human', 'created', ?, ?)`
    )
    const at = new Date().toISOString()
    db.transaction(() => {
      for (let n = start + 1; n <= start + count; n++) insert.run(n, `TASK-${String(n).padStart(4, "0")}`, title(n), at, at)
    })()
  })

/** The fields issues 3 and 13 promise on every task in JSON. */
export const TASK_FIELDS = [
  "id",
  "title",
  "kind",
  "status",
  "repo",
  "description",
  "links",
  "comments",
  "attempt",
  "session_id",
  "error",
  "created_at",
  "updated_at",
  // issue 13
  "priority",
  "after"
] as const

export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
