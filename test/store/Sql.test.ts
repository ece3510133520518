import { SqlClient, SqlError } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { LATEST_MIGRATION, migrations } from "../../src/store/migrations.js"
import { isBusy } from "../../src/store/Sql.js"
import { TaskStore } from "../../src/store/TaskStore.js"
import { modeOf, withUmask } from "../support/files.js"
import { newTask, scopedSandbox, storeIn } from "./helpers.js"

/** Opens the store on `home` and lists: a failure to open surfaces here. */
const openAndList = (sandbox: Parameters<typeof storeIn>[0], home: string) =>
  Effect.flatMap(TaskStore, (store) => store.list({ all: true })).pipe(Effect.provide(storeIn(sandbox, { home })))

const expectUntouched = (file: string, bytes: Buffer) => {
  expect(fs.readFileSync(file).equals(bytes)).toBe(true)
  expect(fs.existsSync(`${file}-wal`)).toBe(false)
  expect(fs.existsSync(`${file}-shm`)).toBe(false)
  expect(fs.existsSync(`${file}-journal`)).toBe(false)
}

describe("opening the database", () => {
  it.scoped("creates a missing HUB_HOME, nested directories included", () =>
    Effect.gen(function* () {
      const sandbox = yield* scopedSandbox("sql")
      const home = path.join(sandbox.dir, "a", "b", "c", "hub")
      expect(fs.existsSync(home)).toBe(false)
      expect(yield* openAndList(sandbox, home)).toEqual([])
      expect(fs.statSync(home).isDirectory()).toBe(true)
      expect(fs.existsSync(path.join(home, "hub.db"))).toBe(true)
    }))

  it.scoped("uses WAL, a busy timeout and the latest schema", () =>
    Effect.gen(function* () {
      const sandbox = yield* scopedSandbox("sql")
      const pragmas = yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        return {
          journal: (yield* sql<{ journal_mode: string }>`PRAGMA journal_mode`)[0]!.journal_mode,
          busy: (yield* sql<{ timeout: number }>`PRAGMA busy_timeout`)[0]!.timeout,
          version: (yield* sql<{ user_version: number }>`PRAGMA user_version`)[0]!.user_version,
          tables: (yield* sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).map((r) => r.name)
        }
      }).pipe(Effect.provide(storeIn(sandbox)))
      expect(pragmas.journal).toBe("wal")
      expect(pragmas.busy).toBeGreaterThan(0)
      expect(pragmas.version).toBe(LATEST_MIGRATION)
      expect(pragmas.tables).toEqual(expect.arrayContaining(["tasks", "events"]))
    }))

  it.scoped("keeps the tasks across reopening, and migrates only once", () =>
    Effect.gen(function* () {
      const sandbox = yield* scopedSandbox("sql")
      const first = yield* Effect.flatMap(TaskStore, (store) => store.create(newTask({ title: "persisted" }))).pipe(
        Effect.provide(storeIn(sandbox))
      )
      const again = yield* Effect.gen(function* () {
        const store = yield* TaskStore
        const sql = yield* SqlClient.SqlClient
        const migrations = yield* sql<{ n: number }>`SELECT count(*) AS n FROM effect_sql_migrations`
        return { tasks: yield* store.list(), migrations: migrations[0]!.n, next: yield* store.create(newTask()) }
      }).pipe(Effect.provide(storeIn(sandbox)))
      expect(again.tasks.map((t) => t.title)).toEqual(["persisted"])
      // Migration ids have gaps (they are assigned per feature): one row per migration.
      expect(again.migrations).toBe(Object.keys(migrations).length)
      expect(first.id).toBe("TASK-0001")
      expect(again.next.id).toBe("TASK-0002")
    }))

  it.scoped("a database made before the list index, the agent's state, the workflow order and hosts gets them all, keeping its tasks", () =>
    Effect.gen(function* () {
      const sandbox = yield* scopedSandbox("sql")
      // The file as migration 1 left it: index on updated_at, user_version 1, one migration row.
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* (yield* TaskStore).create(newTask({ title: "from before" }))
        // An agent at work when hub is upgraded (its start recorded by an older hub).
        const working = yield* (yield* TaskStore).create(newTask({ title: "at work" }))
        yield* sql`UPDATE tasks SET status = 'in-progress', attempt = 1, rev = rev + 1, started_at = '2026-01-01T00:00:00.000Z'
                   WHERE id = ${working.id}`
        // Migration 4's, in the order SQLite lets them go.
        for (const trigger of ["task_deps_no_update", "task_deps_no_delete", "tasks_after_fixed"]) yield* sql.unsafe(`DROP TRIGGER ${trigger}`)
        yield* sql`DROP TABLE task_deps`
        yield* sql`DROP INDEX tasks_claim_order`
        for (const column of ["priority_rank", "priority", `"after"`]) yield* sql.unsafe(`ALTER TABLE tasks DROP COLUMN ${column}`)
        yield* sql`DROP INDEX tasks_status_updated`
        yield* sql`CREATE INDEX tasks_updated ON tasks (updated_at)`
        // What migration 5 (workflow agents) added.
        for (const table of ["attempts", "usage_messages", "notify_cursor"]) yield* sql.unsafe(`DROP TABLE ${table}`)
        yield* sql`DROP TRIGGER tasks_started`
        for (const column of ["usage", "agent_state", "agent_state_at", "agent_state_reason", "agent_active_at", "agent_signals_read"]) {
          yield* sql.unsafe(`ALTER TABLE tasks DROP COLUMN ${column}`)
        }
        yield* sql`DROP INDEX tasks_host_status`
        yield* sql`ALTER TABLE tasks DROP COLUMN host`
        yield* sql`ALTER TABLE tasks DROP COLUMN claimed_at`
        yield* sql`DROP TABLE hosts`
        yield* sql`DELETE FROM effect_sql_migrations WHERE migration_id > 1`
        yield* sql`PRAGMA user_version = 1`
      }).pipe(Effect.provide(storeIn(sandbox)))
      const after = yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        return {
          tasks: (yield* (yield* TaskStore).list()).map((t) => [t.title, t.priority, t.after]),
          deps: (yield* sql<{ n: number }>`SELECT count(*) AS n FROM task_deps`)[0]?.n,
          indexes: (yield* sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks' AND sql IS NOT NULL ORDER BY name`)
            .map((r) => r.name),
          version: (yield* sql<{ user_version: number }>`PRAGMA user_version`)[0]?.user_version,
          followed: (yield* sql<{ task_id: string; attempt: number; usage_open: number }>`SELECT task_id, attempt, usage_open FROM attempts`)
            .map((r) => [r.task_id, r.attempt, r.usage_open])
        }
      }).pipe(Effect.provide(storeIn(sandbox)))
      expect(after).toEqual({
        tasks: [["from before", "normal", []], ["at work", "normal", []]],
        deps: 0,
        // Migration 5 follows the agent already at work.
        followed: [["TASK-0002", 1, 1]],
        indexes: ["tasks_claim_order", "tasks_host_status", "tasks_status_seq", "tasks_status_updated"],
        version: LATEST_MIGRATION
      })
    }))

  it.scoped("a file that is not SQLite is a StoreError and stays byte for byte untouched", () =>
    Effect.gen(function* () {
      const sandbox = yield* scopedSandbox("sql")
      fs.mkdirSync(sandbox.hubHome, { recursive: true })
      const file = path.join(sandbox.hubHome, "hub.db")
      const bytes = Buffer.from("these are somebody's notes, not a database\n".repeat(200))
      fs.writeFileSync(file, bytes)
      const error = yield* Effect.flip(openAndList(sandbox, sandbox.hubHome))
      expect(error._tag).toBe("StoreError")
      expect(error.message).toContain("not a SQLite database")
      expect(error.message.split("\n")).toHaveLength(1)
      expectUntouched(file, bytes)
    }))

  it.scoped("a short file that is not SQLite is refused too", () =>
    Effect.gen(function* () {
      const sandbox = yield* scopedSandbox("sql")
      fs.mkdirSync(sandbox.hubHome, { recursive: true })
      const file = path.join(sandbox.hubHome, "hub.db")
      const bytes = Buffer.from("hi\n")
      fs.writeFileSync(file, bytes)
      const error = yield* Effect.flip(openAndList(sandbox, sandbox.hubHome))
      expect(error._tag).toBe("StoreError")
      expectUntouched(file, bytes)
    }))

  it.scoped("a file with the SQLite header but garbage after it is a StoreError and stays untouched", () =>
    Effect.gen(function* () {
      const sandbox = yield* scopedSandbox("sql")
      fs.mkdirSync(sandbox.hubHome, { recursive: true })
      const file = path.join(sandbox.hubHome, "hub.db")
      const bytes = Buffer.concat([Buffer.from("SQLite format 3\u0000", "latin1"), Buffer.alloc(4080, 0xab)])
      fs.writeFileSync(file, bytes)
      const error = yield* Effect.flip(openAndList(sandbox, sandbox.hubHome))
      expect(error._tag).toBe("StoreError")
      expect(error.message.split("\n")).toHaveLength(1)
      expectUntouched(file, bytes)
    }))

  it.scoped("hub.db that is a directory is a StoreError", () =>
    Effect.gen(function* () {
      const sandbox = yield* scopedSandbox("sql")
      fs.mkdirSync(path.join(sandbox.hubHome, "hub.db"), { recursive: true })
      const error = yield* Effect.flip(openAndList(sandbox, sandbox.hubHome))
      expect(error._tag).toBe("StoreError")
      expect(fs.readdirSync(path.join(sandbox.hubHome, "hub.db"))).toEqual([])
    }))

  it.scoped("a HUB_HOME that is a file is a StoreError, and the file is left alone", () =>
    Effect.gen(function* () {
      const sandbox = yield* scopedSandbox("sql")
      const home = path.join(sandbox.dir, "not-a-dir")
      fs.writeFileSync(home, "x")
      const error = yield* Effect.flip(openAndList(sandbox, home))
      expect(error._tag).toBe("StoreError")
      expect(fs.readFileSync(home, "utf8")).toBe("x")
    }))

  it.scoped("an empty file is taken as a new database", () =>
    Effect.gen(function* () {
      const sandbox = yield* scopedSandbox("sql")
      fs.mkdirSync(sandbox.hubHome, { recursive: true })
      fs.writeFileSync(path.join(sandbox.hubHome, "hub.db"), "")
      expect(yield* openAndList(sandbox, sandbox.hubHome)).toEqual([])
    }))
})

describe("file modes, whatever the umask (000 here)", () => {
  it.scoped("a new HUB_HOME is 0700; the database and its -wal and -shm files are 0600", () =>
    Effect.gen(function* () {
      const sandbox = yield* scopedSandbox("sql")
      yield* withUmask(0o000)
      const home = path.join(sandbox.dir, "parent", "hub")
      const modes = yield* Effect.gen(function* () {
        const store = yield* TaskStore
        yield* store.create(newTask({ title: "written, so the WAL holds something" }))
        // While the connection is open, the -wal and -shm files exist.
        return Object.fromEntries(fs.readdirSync(home).map((f) => [f, modeOf(path.join(home, f))]))
      }).pipe(Effect.provide(storeIn(sandbox, { home })))
      expect(modeOf(home)).toBe(0o700)
      expect(modes).toEqual({ "hub.db": 0o600, "hub.db-wal": 0o600, "hub.db-shm": 0o600 })
      expect(modeOf(path.join(home, "hub.db"))).toBe(0o600)
      // Above HUB_HOME, what hub had to make is the umask's business.
      expect(modeOf(path.dirname(home))).toBe(0o777)
    }))

  it.scoped("an existing HUB_HOME and database keep the modes their owner gave them", () =>
    Effect.gen(function* () {
      const sandbox = yield* scopedSandbox("sql")
      yield* withUmask(0o000)
      fs.mkdirSync(sandbox.hubHome)
      fs.chmodSync(sandbox.hubHome, 0o750)
      const db = path.join(sandbox.hubHome, "hub.db")
      fs.writeFileSync(db, "")
      fs.chmodSync(db, 0o640)
      expect(yield* openAndList(sandbox, sandbox.hubHome)).toEqual([])
      expect(modeOf(sandbox.hubHome)).toBe(0o750)
      expect(modeOf(db)).toBe(0o640)
    }))
})

describe("SQLite busy", () => {
  it.scoped("a write refused because another connection holds the lock is busy, by its code", () =>
    Effect.gen(function* () {
      const sandbox = yield* scopedSandbox("sql")
      const refused = yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const other = Context.get(
          yield* Layer.build(SqliteClient.layer({ filename: path.join(sandbox.hubHome, "hub.db") })),
          SqlClient.SqlClient
        )
        yield* other`BEGIN EXCLUSIVE`
        // No waiting: the store's own connection is refused at once.
        yield* sql`PRAGMA busy_timeout = 0`
        const error = yield* Effect.flip(sql`INSERT INTO events (task_id, attempt, to_status, actor, reason, at)
                                             VALUES ('TASK-0001', 0, 'ready', 'human', 'x', 't')`)
        yield* other`ROLLBACK`
        return error
      }).pipe(Effect.provide(storeIn(sandbox)))
      expect(refused).toBeInstanceOf(SqlError.SqlError)
      expect(refused.cause).toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) })
      expect(isBusy(refused)).toBe(true)
    }))

  it.each([
    ["SQLITE_BUSY", true],
    ["SQLITE_BUSY_SNAPSHOT", true],
    ["SQLITE_BUSY_TIMEOUT", true],
    ["SQLITE_LOCKED", true],
    ["SQLITE_LOCKED_SHAREDCACHE", true],
    ["SQLITE_ERROR", false],
    ["SQLITE_CORRUPT", false],
    ["SQLITE_BUSYNESS", false],
    ["ENOENT", false]
  ] as const)("a SqlError whose cause has code %s: busy = %s", (code, busy) => {
    const cause = Object.assign(new Error("whatever it says"), { code })
    expect(isBusy(new SqlError.SqlError({ cause, message: "Failed to execute statement" }))).toBe(busy)
    expect(isBusy(cause)).toBe(busy)
  })

  it("a message that says 'locked' or 'busy' without the code is not busy", () => {
    expect(isBusy(new SqlError.SqlError({ cause: new Error("database is locked"), message: "busy" }))).toBe(false)
    expect(isBusy(new Error("SQLITE_BUSY: database is locked"))).toBe(false)
    expect(isBusy("database is locked")).toBe(false)
    expect(isBusy(undefined)).toBe(false)
  })
})
