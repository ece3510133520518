import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as os from "node:os"
import * as path from "node:path"
import { HubConfig, type HubSettings } from "../../src/config.js"
import type { TaskStatus } from "../../src/domain/Task.js"
import type { TaskId } from "../../src/domain/TaskId.js"
import { PgLive } from "../../src/store/Pg.js"
import type { Move } from "../../src/domain/transitions.js"
import { SqlLive } from "../../src/store/Sql.js"
import { type NewTask, TaskStore, TaskStoreFromSql } from "../../src/store/TaskStore.js"
import { sandboxConfig } from "../support/layers.js"
import { freshDatabase } from "../support/postgres.js"
import { makeSandbox, type Sandbox } from "../support/sandbox.js"

/** The host a test's claims are made on: HubConfigFrom's default, so reconcile judges them as its own. */
export const HOST = os.hostname()

/** A sandbox that is disposed when the scope closes. */
export const scopedSandbox = (name = "store") =>
  Effect.acquireRelease(
    Effect.sync(() => makeSandbox(name)),
    (sandbox) => Effect.sync(() => sandbox.dispose())
  )

/**
 * The real store on `$HUB_HOME/hub.db` of `sandbox`, with its SqlClient (same connection) and
 * HubConfig exposed so tests can look under the store.
 */
export const storeIn = (sandbox: Sandbox, overrides: Partial<HubSettings> = {}) =>
  TaskStoreFromSql.pipe(Layer.provideMerge(SqlLive), Layer.provideMerge(sandboxConfig(sandbox, overrides)))

/** The two layers of the store: the contract tests run on each. */
export const BACKENDS = ["sqlite", "postgres"] as const
export type Backend = (typeof BACKENDS)[number]

/**
 * The real store of `backend`: SQLite in `$HUB_HOME/hub.db` of `sandbox`, or on the test run's
 * PostgreSQL server the database `overrides.databaseUrl` names (default: a new one of its own);
 * with its SqlClient and HubConfig exposed.
 */
export const backendStoreIn = (backend: Backend, sandbox: Sandbox, overrides: Partial<HubSettings> = {}) =>
  backend === "sqlite"
    ? storeIn(sandbox, overrides)
    : Layer.unwrapEffect(
      Effect.map(Option.match(overrides.databaseUrl ?? Option.none(), {
        onNone: () => Effect.promise(() => freshDatabase()),
        onSome: Effect.succeed
      }), (url) =>
        TaskStoreFromSql.pipe(
          Layer.provideMerge(PgLive(url)),
          Layer.provideMerge(sandboxConfig(sandbox, { ...overrides, databaseUrl: Option.some(url) }))
        ))
    )

/** A fresh store in a fresh sandbox; the sandbox is removed after the database is closed. */
export const FreshStore: Layer.Layer<TaskStore | SqlClient.SqlClient | HubConfig, unknown> = Layer.unwrapScoped(
  Effect.map(scopedSandbox(), (sandbox) => storeIn(sandbox))
)

/**
 * One sandbox for a whole test file (made in beforeAll, disposed in afterAll), and a layer that
 * gives every test its own, not yet existing HUB_HOME inside it: a fresh database per test
 * without a sandbox per test.
 */
export const fileSandbox = (name = "store", backend: Backend = "sqlite") => {
  let sandbox: Sandbox | undefined
  let n = 0
  beforeAll(() => {
    sandbox = makeSandbox(name)
  })
  afterAll(() => {
    sandbox?.dispose()
  })
  const freshStore: Layer.Layer<TaskStore | SqlClient.SqlClient | HubConfig, unknown> = Layer.unwrapEffect(
    Effect.sync(() => backendStoreIn(backend, sandbox!, { home: path.join(sandbox!.dir, `hub-${++n}`) }))
  )
  /** A test with its own database (file or PostgreSQL) in its own temp HUB_HOME, on the TestClock (t = 0). */
  const test = <A, E>(name: string, body: () => Effect.Effect<A, E, TaskStore | SqlClient.SqlClient>) =>
    it.effect(name, () => Effect.provide(body(), freshStore))
  return { sandbox: () => sandbox!, freshStore, test }
}

export const newTask = (patch: Partial<NewTask> = {}): NewTask => ({
  title: "a task",
  kind: "implement",
  status: "ready",
  description: "",
  repo: null,
  links: [],
  ...patch
})

export const create = (patch: Partial<NewTask> = {}) => Effect.flatMap(TaskStore, (store) => store.create(newTask(patch)))

/** The moves (by hand: `move`, not the claim) that take a new ready task to each status. */
const PATHS: Record<TaskStatus, ReadonlyArray<readonly [Move, TaskStatus]>> = {
  backlog: [],
  ready: [],
  "in-progress": [["claim", "in-progress"]],
  blocked: [["claim", "in-progress"], ["report", "blocked"]],
  "in-review": [["claim", "in-progress"], ["report", "in-review"]],
  done: [["claim", "in-progress"], ["report", "done"]],
  failed: [["claim", "in-progress"], ["report", "failed"]],
  cancelled: [["cancel", "cancelled"]]
}

/** Creates a task (backlog for `backlog`, else ready) and moves it to `status` along allowed edges. */
export const createIn = (status: TaskStatus, patch: Partial<NewTask> = {}) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const task = yield* create({ title: status, status: status === "backlog" ? "backlog" : "ready", ...patch })
    for (const [move, to] of PATHS[status]) yield* store.move(task.id, move, to, { actor: "human", reason: "test" })
    return task.id
  })

/** Raw rows of `events` for one task, straight from the database. */
export const rawEvents = (id: TaskId) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{
      readonly id: number
      readonly task_id: string
      readonly attempt: number
      readonly from_status: string | null
      readonly to_status: string
      readonly actor: string
      readonly reason: string
      readonly at: string
    }>`SELECT * FROM events WHERE task_id = ${id} ORDER BY id`)

export const countEvents = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(sql<{ readonly n: number }>`SELECT CAST(count(*) AS INTEGER) AS n FROM events`, (rows) => rows[0]!.n))
