import { Migrator, SqlClient } from "@effect/sql"
import { SqliteClient, SqliteMigrator } from "@effect/sql-sqlite-node"
import { Cause, Effect, Layer, Schedule } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { HubConfig, hubPaths } from "../config.js"
import { StoreError } from "../domain/errors.js"
import { createPrivateFile, makePrivateDir } from "../shared/files.js"
import { LATEST_MIGRATION, migrations } from "./migrations.js"

const SQLITE_HEADER = "SQLite format 3\u0000"

/**
 * Refuses a file that exists but is not SQLite, before better-sqlite3 touches it: WAL mode
 * would otherwise be attempted on somebody's file. A missing HUB_HOME is made 0700 and a
 * missing database 0600 (empty: SQLite takes it as a new database), whatever the umask;
 * SQLite gives its -wal and -shm files the database's mode. What exists keeps its mode.
 */
const checkDatabaseFile = (file: string) =>
  Effect.try({
    try: () => {
      makePrivateDir(path.dirname(file))
      let fd: number
      try {
        fd = fs.openSync(file, "r")
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
          createPrivateFile(file)
          return
        }
        throw error
      }
      try {
        const header = Buffer.alloc(16)
        const read = fs.readSync(fd, header, 0, 16, 0)
        if (read > 0 && header.toString("latin1", 0, read) !== SQLITE_HEADER.slice(0, read)) {
          throw new Error(`${file} is not a SQLite database`)
        }
      } finally {
        fs.closeSync(fd)
      }
    },
    catch: (error) => new StoreError({ message: `cannot open the database: ${(error as Error).message}` })
  })

/**
 * Puts the file in WAL mode (once set, it stays with the file). While other processes open the
 * same fresh file, SQLite may answer the switch with "database is locked" at once, without
 * waiting on busy_timeout (about 1 start in 250, six processes on a fresh HUB_HOME): retry.
 */
const switchToWal = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ journal_mode: string }>`PRAGMA journal_mode = WAL`
  if (rows[0]?.journal_mode !== "wal") return yield* Effect.fail(`journal_mode is ${rows[0]?.journal_mode}` as const)
}).pipe(
  Effect.retry({
    schedule: Schedule.spaced("20 millis").pipe(Schedule.intersect(Schedule.recurs(250))),
    while: (error) => typeof error === "string" || /locked|busy/i.test(describe(error))
  })
)

const migrate = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // user_version is set by the last migration, in its transaction; it never fails to read
  // (a query on a missing table would, and the client caches a failed prepare).
  const done = sql<{ user_version: number }>`PRAGMA user_version`.pipe(
    Effect.map((rows) => (rows[0]?.user_version ?? 0) >= LATEST_MIGRATION),
    Effect.orElseSucceed(() => false)
  )
  // The fast path costs one query per start. Two processes starting on a fresh file race in
  // the migrator; the loser reports "locked" and must wait until the winner has committed.
  if (yield* done) return
  // The migrator wants a FileSystem, Path and CommandExecutor; loaded only when it runs, so
  // an ordinary start never initialises them.
  const { layer: nodeContext } = yield* Effect.promise(() => import("@effect/platform-node/NodeContext"))
  yield* SqliteMigrator.run({ loader: Migrator.fromRecord(migrations) }).pipe(
    Effect.provide(nodeContext),
    Effect.zipRight(Effect.flatMap(done, (ok) => ok ? Effect.void : Effect.fail("pending" as const))),
    Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.intersect(Schedule.recurs(200))))
  )
})

/** The SQLite client on `$HUB_HOME/hub.db`, migrated, WAL, with a busy timeout. */
export const SqlLive = Layer.unwrapEffect(
  Effect.gen(function* () {
    const config = yield* HubConfig
    const filename = hubPaths(config).db
    yield* checkDatabaseFile(filename)
    // WAL is switched on below, not by the client at open: see switchToWal.
    const client = SqliteClient.layer({ filename, disableWAL: true })
    const setup = Layer.effectDiscard(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`PRAGMA busy_timeout = 10000`
        yield* switchToWal
        yield* sql`PRAGMA synchronous = NORMAL`
        yield* sql`PRAGMA foreign_keys = ON`
        yield* migrate
      })
    )
    return Layer.provideMerge(setup, client)
  })
).pipe(
  // better-sqlite3 throws (a defect) on a locked-down or corrupt file: one typed error instead.
  Layer.catchAllCause((cause) => {
    const error = Cause.squash(cause)
    return Layer.fail(
      error instanceof StoreError ? error : new StoreError({ message: `cannot open the database: ${describe(error)}` })
    )
  })
)

const describe = (error: unknown): string =>
  typeof error === "object" && error !== null && "cause" in error && error.cause instanceof Error
    ? error.cause.message
    : error instanceof Error
    ? error.message
    : String(error)
