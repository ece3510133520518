import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { build } from "esbuild"
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { TaskStore } from "../../src/store/TaskStore.js"
import { BIN, ROOT, type Sandbox } from "../support/sandbox.js"
import { freshDatabase } from "../support/postgres.js"
import { type Backend, BACKENDS, backendStoreIn, scopedSandbox } from "./helpers.js"

let buildDir: string
let WORKER: string

beforeAll(async () => {
  // The bin as a user runs it (built once if missing).
  if (!fs.existsSync(BIN)) {
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "build.mjs"), "--bin-only"], { cwd: ROOT, stdio: "pipe" })
  }
  // A small bundle of the store as it is in src/ now, for long-lived worker processes.
  buildDir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-worker-"))
  WORKER = path.join(buildDir, "worker.cjs")
  await build({
    entryPoints: [path.join(ROOT, "test", "store", "createWorker.ts")],
    outfile: WORKER,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["better-sqlite3"],
    logLevel: "silent"
  })
  return () => fs.rmSync(buildDir, { recursive: true, force: true })
}, 120_000)

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const collect = (child: ChildProcessWithoutNullStreams) =>
  new Promise<Run>((resolve) => {
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/** Runs `argv` as a child process in the sandbox's environment, without blocking the test. */
const run = (sandbox: Sandbox, argv: ReadonlyArray<string>, extraEnv: NodeJS.ProcessEnv = {}) =>
  Effect.async<Run>((resume) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: { ...sandbox.env, ...extraEnv } })
    child.stdin.end()
    void collect(child).then((r) => resume(Effect.succeed(r)))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** A store for a race: SQLite in the sandbox's HUB_HOME, or a fresh PostgreSQL database. */
interface Db {
  readonly sandbox: Sandbox
  readonly backend: Backend
  /** What a process of this store adds to the sandbox's environment. */
  readonly env: NodeJS.ProcessEnv
  /** The store, in this process. */
  readonly layer: ReturnType<typeof backendStoreIn>
}

const dbFor = (backend: Backend, name: string) =>
  Effect.gen(function* () {
    const sandbox = yield* scopedSandbox(name)
    const url = backend === "postgres" ? yield* Effect.promise(() => freshDatabase()) : undefined
    return {
      sandbox,
      backend,
      env: url === undefined ? {} : { HUB_DATABASE_URL: url },
      layer: backendStoreIn(backend, sandbox, { databaseUrl: Option.fromNullable(url) })
    } satisfies Db
  })

/**
 * Worker processes of the store (see createWorker.ts), one per name, all given the same `task`
 * arguments: all open the database at once (racing the migration on a fresh one), then, when
 * every one of them is open, all get the start signal at once and do their work.
 */
const workers = (db: Db, names: ReadonlyArray<string>, ...task: ReadonlyArray<string>) =>
  Effect.promise(async () => {
    const children = names.map((name) =>
      spawn(process.execPath, [WORKER, db.sandbox.hubHome, name, ...task], {
        env: { ...db.sandbox.env, ...db.env, NODE_PATH: path.join(ROOT, "node_modules") }
      })
    )
    for (const child of children) child.stdin.on("error", () => {}) // a worker that died early
    const done = children.map(collect)
    const opened = children.map((child) =>
      new Promise<boolean>((resolve) => {
        let seen = ""
        child.stdout.on("data", (chunk) => {
          seen += chunk
          if (seen.startsWith("open\n")) resolve(true)
        })
        child.on("close", () => resolve(false))
      })
    )
    await Promise.all(opened)
    for (const child of children) if (child.exitCode === null) child.stdin.end("go\n")
    return Promise.all(done)
  })

/**
 * One child process (a shell loop) that creates `count` tasks one after the other with the
 * built bin, titled `<name>-1` … `<name>-<count>`; it stops at the first failure.
 */
const binWorker = (db: Db, name: string, count: number) =>
  run(db.sandbox, [
    "sh",
    "-c",
    `i=1; while [ "$i" -le ${count} ]; do "$NODE" "$BIN" task create --title "${name}-$i" || exit 1; i=$((i + 1)); done`
  ], { NODE: process.execPath, BIN, ...db.env })

/** What the database holds after the race, read in this process through the store. */
const readBack = (db: Db) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const tasks = yield* store.list({ all: true })
    const events = yield* Effect.forEach(tasks, (t) => store.events(t.id))
    return { tasks, events }
  }).pipe(Effect.provide(db.layer))

const range = (n: number) => Array.from({ length: n }, (_, i) => `TASK-${String(i + 1).padStart(4, "0")}`)

/** Everything a race must leave: unique, gap-free ids, each title once, one 'created' event each. */
const expectClean = (db: Db, names: ReadonlyArray<string>, perWorker: number, printed: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const total = names.length * perWorker
    expect(printed).toHaveLength(total)
    expect(new Set(printed).size).toBe(total)
    const { tasks, events } = yield* readBack(db)
    expect(tasks).toHaveLength(total)
    // No id lost, none twice: exactly TASK-0001 … TASK-<total>.
    expect(tasks.map((t) => t.id)).toEqual(range(total))
    expect([...printed].sort()).toEqual(range(total))
    expect(tasks.map((t) => t.title).sort()).toEqual(
      names.flatMap((name) => Array.from({ length: perWorker }, (_, i) => `${name}-${i + 1}`)).sort()
    )
    // Each worker's tasks got increasing ids in the order it created them.
    for (const name of names) {
      const order = tasks.filter((t) => t.title.startsWith(`${name}-`)).map((t) => Number(t.title.slice(name.length + 1)))
      expect(order).toEqual([...order].sort((a, b) => a - b))
    }
    tasks.forEach((task, i) => {
      const history = events[i]!
      expect(history).toHaveLength(1)
      expect(history[0]).toMatchObject({ task_id: task.id, from: null, to: "ready", actor: "human", reason: "created" })
    })
  })

describe.each(BACKENDS)("several processes on one database (%s)", (backend) => {
  it.scopedLive("three store processes, 25 tasks each, on one fresh store: unique ids, exact count, one 'created' event each", () =>
    Effect.gen(function* () {
      const db = yield* dbFor(backend, "race")
      expect(fs.existsSync(db.sandbox.hubHome)).toBe(false)
      const names = ["alpha", "beta", "gamma"]
      const runs = yield* workers(db, names, "25")
      for (const r of runs) {
        expect(r.stderr).toBe("")
        expect(r.code).toBe(0)
      }
      const printed = runs.flatMap((r) => r.stdout.trim().split("\n").slice(1))
      yield* expectClean(db, names, 25, printed)
    }), 60_000)

  it.scopedLive("three store processes creating chains of dependent tasks at once: each task after its creator's previous one", () =>
    Effect.gen(function* () {
      const db = yield* dbFor(backend, "race-after")
      const names = ["alpha", "beta", "gamma"]
      // Each create with a dependency is a transaction of three statements, racing the others.
      const runs = yield* workers(db, names, "20", "after")
      for (const r of runs) {
        expect(r.stderr).toBe("")
        expect(r.code).toBe(0)
      }
      yield* expectClean(db, names, 20, runs.flatMap((r) => r.stdout.trim().split("\n").slice(1)))
      const { tasks } = yield* readBack(db)
      const byTitle = new Map(tasks.map((t) => [t.title, t.id]))
      for (const task of tasks) {
        const [name, n] = task.title.split("-")
        expect(task.after, task.title).toEqual(n === "1" ? [] : [byTitle.get(`${name}-${Number(n) - 1}`)])
      }
      // The table the claim reads says the same: only each chain's first task may be claimed.
      const claimable = yield* Effect.gen(function* () {
        const store = yield* TaskStore
        const claimed: Array<string> = []
        for (;;) {
          const next = yield* store.claimNext(100, { pid: process.pid, start: "test" }, "test-host")
          if (next._tag === "None") return claimed
          claimed.push(next.value.title)
        }
      }).pipe(Effect.provide(db.layer))
      expect(claimable.sort()).toEqual(["alpha-1", "beta-1", "gamma-1"])
    }), 60_000)

  it.scopedLive("three store processes claiming at once: the cap holds across processes, each task claimed once, oldest first", () =>
    Effect.gen(function* () {
      const db = yield* dbFor(backend, "claim")
      const TASKS = 15
      yield* Effect.gen(function* () {
        const store = yield* TaskStore
        for (let i = 0; i < TASKS; i++) {
          yield* store.create({ title: `c${i}`, kind: "implement", status: "ready", description: "", repo: null, links: [] })
        }
      }).pipe(Effect.provide(db.layer))
      const names = ["x", "y", "z"]

      // A cap of 7: exactly 7 claims in all, whoever makes them.
      const capped = yield* workers(db, names, "claim", "7")
      for (const r of capped) expect(r.code).toBe(0)
      const first = capped.flatMap((r) => r.stdout.trim().split("\n").slice(1))
      expect(first).toHaveLength(7)
      expect(new Set(first).size).toBe(7)
      // The oldest seven, since every claim takes the oldest ready task.
      expect([...first].sort()).toEqual(range(7))

      const { tasks, events } = yield* readBack(db)
      tasks.forEach((task, i) => {
        const claimed = first.includes(task.id)
        expect(task).toMatchObject({ status: claimed ? "in-progress" : "ready", attempt: claimed ? 1 : 0 })
        if (claimed) expect(names).toContain(task.lease_start)
        expect(events[i]!.map((e) => `${e.from ?? "-"}>${e.to}:${e.actor}`)).toEqual(
          claimed ? ["->ready:human", "ready>in-progress:dispatcher"] : ["->ready:human"]
        )
      })
    }), 60_000)

  it.scopedLive("four processes on two hosts claiming at once: the cap holds per host, each task claimed once, oldest first", () =>
    Effect.gen(function* () {
      const db = yield* dbFor(backend, "claim-hosts")
      yield* Effect.gen(function* () {
        const store = yield* TaskStore
        for (let i = 0; i < 15; i++) {
          yield* store.create({ title: `h${i}`, kind: "implement", status: "ready", description: "", repo: null, links: [] })
        }
      }).pipe(Effect.provide(db.layer))
      // A cap of 3 per host: alpha's two workers claim 3 between them, beta's two 3 more.
      const byHost = yield* Effect.all(
        [workers(db, ["a1", "a2"], "claim", "3", "alpha"), workers(db, ["b1", "b2"], "claim", "3", "beta")],
        { concurrency: "unbounded" }
      )
      for (const r of byHost.flat()) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" })
      const claimed = byHost.map((runs) => runs.flatMap((r) => r.stdout.trim().split("\n").slice(1)))
      expect(claimed.map((ids) => ids.length)).toEqual([3, 3])
      expect(new Set(claimed.flat()).size).toBe(6)
      expect([...claimed.flat()].sort()).toEqual(range(6))
      const { tasks } = yield* readBack(db)
      for (const [i, host] of (["alpha", "beta"] as const).entries()) {
        const mine = tasks.filter((t) => t.host === host)
        expect(mine.map((t) => t.id).sort()).toEqual([...claimed[i]!].sort())
        for (const t of mine) expect(t).toMatchObject({ status: "in-progress", attempt: 1 })
      }
      expect(tasks.filter((t) => t.status === "ready")).toHaveLength(9)
    }), 60_000)

  // SQLite's race is the switch to WAL (rare: six rounds); PostgreSQL's the migrator's (two).
  const rounds = backend === "sqlite" ? 6 : 2
  it.scopedLive(`six processes opening one fresh store at once, ${rounds} times: none is refused (SQLite: 'database is locked')`, () =>
    // SQLite may refuse the switch to WAL at once, ignoring busy_timeout, while another
    // process switches the same fresh file (about 1 round in 40 of six processes before the
    // fix, found by the chaos runner, seed 5547). A stress check: it catches the old code
    // only now and then; `node scripts/chaos/run.mjs` and the rounds here together do.
    Effect.gen(function* () {
      for (let round = 0; round < rounds; round++) {
        const db = yield* dbFor(backend, `open-race-${round}`)
        const runs = yield* workers(db, ["a", "b", "c", "d", "e", "f"], "1")
        for (const r of runs) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" })
      }
    }), 120_000)

  it.scopedLive("the bin: three processes creating tasks at once on one fresh store (they race the migration too)", () =>
    Effect.gen(function* () {
      const db = yield* dbFor(backend, "race-bin")
      const names = ["one", "two", "three"]
      const PER_WORKER = 2
      const runs = yield* Effect.all(names.map((name) => binWorker(db, name, PER_WORKER)), { concurrency: "unbounded" })
      for (const r of runs) {
        expect(r.stderr).toBe("")
        expect(r.code).toBe(0)
      }
      const printed = runs.flatMap((r) => r.stdout.trim().split("\n"))
      for (const id of printed) expect(id).toMatch(/^TASK-\d{4,}$/)
      yield* expectClean(db, names, PER_WORKER, printed)
    }), 60_000)
})
