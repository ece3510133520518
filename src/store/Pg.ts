import { Migrator, SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Cause, Effect, Layer, Predicate, Redacted, Schedule } from "effect"
import { StoreError } from "../domain/errors.js"
import { messageOf } from "../shared/messages.js"
import { PG_LATEST_MIGRATION, pgMigrations } from "./migrations.pg.js"

/**
 * How long a connection may take before hub gives up on the database: every command that
 * finds PostgreSQL unreachable says so in one line and exits 1 well within 10 s.
 */
export const PG_CONNECT_TIMEOUT_MS = 5_000

/** `postgres://` or `postgresql://`: what HUB_DATABASE_URL may name. */
export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//i.test(url)

/** Where the URL points, without its password: what a message may show of it. */
export const describeUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname || "localhost"}${parsed.port ? `:${parsed.port}` : ""}${parsed.pathname}`
  } catch {
    return "(an unreadable URL)"
  }
}

const MigrationDone = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ readonly n: number | null }>`SELECT max(migration_id) AS n FROM effect_sql_migrations`.pipe(
    Effect.map((rows) => (rows[0]?.n ?? 0) >= PG_LATEST_MIGRATION),
    // No migrations table yet: a fresh database.
    Effect.orElseSucceed(() => false)
  ))

/**
 * Migrates with @effect/sql's migrator, which locks its table for the run: processes starting
 * at once on a fresh database wait for the first. Two of them creating the migrations table at
 * the same instant collide on the catalog (a unique violation): the loser tries again.
 */
const migrate = Effect.gen(function* () {
  if (yield* MigrationDone) return
  yield* Migrator.make({})({ loader: Migrator.fromRecord(pgMigrations) }).pipe(
    Effect.zipRight(Effect.flatMap(MigrationDone, (ok) => (ok ? Effect.void : Effect.fail("pending" as const)))),
    Effect.retry({
      schedule: Schedule.spaced("50 millis").pipe(Schedule.intersect(Schedule.recurs(100))),
      while: (error) => error === "pending" || (Predicate.hasProperty(error, "_tag") && error._tag === "SqlError")
    })
  )
})

/**
 * The PostgreSQL client on `url`, migrated: the second layer under the TaskStore (Sql.ts is
 * the first). Connections time out after PG_CONNECT_TIMEOUT_MS, so an unreachable server is
 * an error, not a hang.
 */
export const PgLive = (url: string) =>
  Layer.provideMerge(
    Layer.effectDiscard(migrate),
    PgClient.layer({
      url: Redacted.make(url),
      connectTimeout: PG_CONNECT_TIMEOUT_MS,
      idleTimeout: "30 seconds",
      maxConnections: 4,
      applicationName: "hub"
    })
  ).pipe(
    Layer.catchAllCause((cause) =>
      Layer.fail(new StoreError({ message: `cannot open the database at ${describeUrl(url)}: ${messageOf(Cause.squash(cause))}` }))
    )
  )
