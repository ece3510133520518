import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

import { StoreError } from "../domain/errors.js"
import { messageOf } from "../shared/messages.js"
import { describeUrl, isPostgresUrl, PgLive } from "./Pg.js"
import { SqlLive } from "./Sql.js"

export interface Copied {
  readonly tasks: number
  readonly events: number
  readonly to: string
}

type Row = Record<string, unknown>

/** Rows per INSERT: PostgreSQL takes at most 65,535 parameters in one statement. */
const BATCH = 500

const failed = (what: string) => (error: unknown) =>
  error instanceof StoreError ? error : new StoreError({ message: `${what}: ${messageOf(error)}` })

/**
 * Every task of the SQLite store in HUB_HOME, with its whole history (events, dependencies,
 * attempts with their agent sessions and tokens, the notifier's cursor), into the empty
 * PostgreSQL database at `url` (migrated first): rows as they are (ids, revisions, attempts,
 * times), events with their own ids, in one transaction. While it runs, the triggers that
 * write events stand aside (`hub.copying`, migrations.pg.ts): the history copied is the
 * history. A target that holds any task or event is refused and left as it is.
 */
export const copyToPostgres = (url: string) =>
  Effect.gen(function* () {
    if (!isPostgresUrl(url)) {
      return yield* new StoreError({ message: "--to must be a postgres:// URL" })
    }
    const source = yield* Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      // One read transaction: a consistent snapshot while other processes go on writing.
      const read = yield* sql.withTransaction(Effect.all({
        tasks: sql<Row>`SELECT * FROM tasks ORDER BY seq`,
        events: sql<Row>`SELECT * FROM events ORDER BY id`,
        deps: sql<Row>`SELECT * FROM task_deps ORDER BY task_seq, dep_seq`,
        attempts: sql<Row>`SELECT * FROM attempts ORDER BY task_id, attempt`,
        usage: sql<Row>`SELECT * FROM usage_messages ORDER BY task_id, message_id`,
        cursor: sql<Row>`SELECT prev_event, last_event FROM notify_cursor WHERE id = 1`
      }))
      // priority_rank is computed by each database from priority: never written.
      return { ...read, tasks: read.tasks.map(({ priority_rank: _, ...row }) => row) }
    }).pipe(Effect.provide(SqlLive), Effect.mapError(failed("cannot read the SQLite store")))

    const to = describeUrl(url)
    yield* Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const [held] = yield* sql<{ readonly tasks: number; readonly events: number }>`
        SELECT (SELECT CAST(count(*) AS INTEGER) FROM tasks) AS tasks, (SELECT CAST(count(*) AS INTEGER) FROM events) AS events`
      if (held !== undefined && (held.tasks > 0 || held.events > 0)) {
        return yield* new StoreError({
          message: `${to} is not empty (${held.tasks} task(s), ${held.events} event(s)); hub db copy copies only into an empty database`
        })
      }
      yield* sql.withTransaction(Effect.gen(function* () {
        yield* sql`SELECT set_config('hub.copying', 'on', true)`
        for (let i = 0; i < source.tasks.length; i += BATCH) {
          yield* sql`INSERT INTO tasks ${sql.insert(source.tasks.slice(i, i + BATCH))}`
        }
        // Each attempt's agent session and tokens, and how far the notifier has told.
        for (const [table, rows] of [["task_deps", source.deps], ["attempts", source.attempts], ["usage_messages", source.usage]] as const) {
          for (let i = 0; i < rows.length; i += BATCH) {
            yield* sql`INSERT INTO ${sql(table)} ${sql.insert(rows.slice(i, i + BATCH))}`
          }
        }
        const cursor = source.cursor[0]
        if (cursor !== undefined) {
          yield* sql`UPDATE notify_cursor SET prev_event = ${cursor.prev_event as number}, last_event = ${cursor.last_event as number} WHERE id = 1`
        }
        for (let i = 0; i < source.events.length; i += BATCH) {
          yield* sql`INSERT INTO events ${sql.insert(source.events.slice(i, i + BATCH))}`
        }
        // New events continue after the copied ones.
        yield* sql`SELECT setval(pg_get_serial_sequence('events', 'id'), COALESCE((SELECT max(id) FROM events), 0) + 1, false)`
      }))
    }).pipe(Effect.provide(PgLive(url)), Effect.mapError(failed(`cannot copy into ${to}`)))
    return { tasks: source.tasks.length, events: source.events.length, to } satisfies Copied
  }).pipe(Effect.withSpan("copyToPostgres"))

