import type { SqlClient } from "@effect/sql"
import { Duration, Effect, Layer, Option, Schedule } from "effect"
import { HubConfig } from "../config.js"
import type { StoreError } from "../domain/errors.js"
import { type Changes, LocalChangesLive, withAnnouncedWrites } from "./Changes.js"
import { SqlLive } from "./Sql.js"
import { type TaskStore, TaskStoreFromSql } from "./TaskStore.js"

/**
 * The store as HUB_DATABASE_URL says: PostgreSQL when a URL is set (a team's queue, shared by
 * several machines), else SQLite in HUB_HOME. The PostgreSQL driver is loaded only then, so a
 * SQLite start never pays for it.
 */
const byDatabase = <A, E>(sqlite: Layer.Layer<A, E, HubConfig>, postgres: (url: string) => Promise<Layer.Layer<A, E, HubConfig>>) =>
  Layer.unwrapEffect(
    Effect.flatMap(HubConfig, (config) =>
      Option.match(config.databaseUrl, {
        onNone: () => Effect.succeed(sqlite),
        onSome: (url) => Effect.promise(() => postgres(url))
      }))
  )

/** The SqlClient under the TaskStore: SQLite in HUB_HOME, or PostgreSQL at HUB_DATABASE_URL. */
export const DatabaseLive: Layer.Layer<SqlClient.SqlClient, StoreError, HubConfig> = byDatabase(
  SqlLive,
  async (url) => (await import("./Pg.js")).PgLive(url)
)

/** The store HUB_DATABASE_URL names, without announcements. */
export const TaskStoreLive: Layer.Layer<TaskStore, StoreError, HubConfig> = TaskStoreFromSql.pipe(Layer.provide(DatabaseLive))

/**
 * The store with its writes announced, and the Changes to subscribe to, on one connection
 * pool: over this machine's wake sockets (SQLite), or over LISTEN/NOTIFY to every machine on
 * the same PostgreSQL as well.
 */
export const StoreLive: Layer.Layer<TaskStore | Changes, StoreError, HubConfig> = byDatabase(
  withAnnouncedWrites(Layer.merge(TaskStoreFromSql.pipe(Layer.provide(SqlLive)), LocalChangesLive)),
  async (url) => {
    const [{ PgLive }, { PgChangesLive }] = await Promise.all([import("./Pg.js"), import("./PgChanges.js")])
    return withAnnouncedWrites(Layer.merge(TaskStoreFromSql, PgChangesLive(url)).pipe(Layer.provide(PgLive(url))))
  }
)

/** How long a daemon waits before it tries an unreachable PostgreSQL again. */
export const DATABASE_RETRY = Duration.seconds(5)

/**
 * StoreLive for the daemon, which must outlive an outage: a PostgreSQL it cannot reach at
 * start is logged and tried again every DATABASE_RETRY until it answers. (SQLite is a file in
 * HUB_HOME: what fails to open it will not heal by waiting, so it fails at once as before.)
 */
export const PatientStoreLive: Layer.Layer<TaskStore | Changes, StoreError, HubConfig> = Layer.unwrapEffect(
  Effect.map(HubConfig, (config) =>
    Option.isNone(config.databaseUrl)
      ? StoreLive
      : StoreLive.pipe(
        Layer.tapError((error) =>
          Effect.logError(`${error.message}; trying again in ${Duration.format(DATABASE_RETRY)}`)),
        Layer.retry(Schedule.spaced(DATABASE_RETRY))
      ))
)
