import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import * as os from "node:os"
import pg from "pg"
import { HubConfig } from "../config.js"
import type { Listener } from "../shared/wake.js"
import { Changes, localChanges } from "./Changes.js"
import { PG_CONNECT_TIMEOUT_MS } from "./Pg.js"

/** The channel every hub process on one PostgreSQL queue announces its changes on. */
export const CHANGES_CHANNEL = "hub_changes"

/**
 * Names this process in its notifications (never empty: an empty payload is dropped by
 * @effect/sql-pg and means nothing here), so that it can ignore its own.
 */
const self = `${os.hostname()}:${process.pid}`

/**
 * Listens on CHANGES_CHANNEL on a connection of its own, for as long as it is not closed, and
 * survives losing it (PITFALLS.md: @effect/sql-pg's `listen` swallows a lost connection and
 * shares one connection between streams): on an error, an end, or a ping that fails, it
 * reconnects with a backoff, LISTENs again, and calls `onChange` once, since a change may have
 * gone unheard meanwhile. Notifications are hints to read the database again, never the data.
 * A periodic tick in the daemon remains the safety net.
 */
export const listenForChanges = (url: string, onChange: () => void, options: { readonly pingMs?: number } = {}): Listener => {
  let closed = false
  let client: pg.Client | undefined
  let retryTimer: NodeJS.Timeout | undefined
  let backoff = 250
  const pingMs = options.pingMs ?? 5_000

  const drop = (c: pg.Client) => {
    if (client !== c) return
    client = undefined
    c.removeAllListeners("notification")
    c.on("error", () => {})
    void c.end().catch(() => {})
    if (!closed) {
      retryTimer = setTimeout(connect, backoff)
      retryTimer.unref()
      backoff = Math.min(backoff * 2, 5_000)
    }
  }

  const connect = () => {
    if (closed) return
    const c = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
      keepAlive: true,
      application_name: "hub-listen"
    })
    client = c
    c.on("error", () => drop(c))
    c.on("end", () => drop(c))
    c.on("notification", (message) => {
      if (message.channel === CHANGES_CHANNEL && message.payload !== self) onChange()
    })
    c.connect()
      .then(() => c.query(`LISTEN ${CHANGES_CHANNEL}`))
      .then(() => {
        if (client !== c) return
        // Connected again after a loss: what changed in between was not heard.
        if (backoff > 250) onChange()
        backoff = 250
      })
      .catch(() => drop(c))
  }

  // A connection lost without an error (a server gone mid-way, a dead network) is found by a
  // ping that fails or hangs.
  const ping = setInterval(() => {
    const c = client
    if (c === undefined) return
    const timer = setTimeout(() => drop(c), PG_CONNECT_TIMEOUT_MS)
    c.query("SELECT 1").then(() => clearTimeout(timer), () => {
      clearTimeout(timer)
      drop(c)
    })
  }, pingMs)
  ping.unref()

  connect()
  return {
    close: () => {
      closed = true
      clearInterval(ping)
      if (retryTimer !== undefined) clearTimeout(retryTimer)
      const c = client
      client = undefined
      if (c !== undefined) {
        c.removeAllListeners()
        c.on("error", () => {})
        void c.end().catch(() => {})
      }
    }
  }
}

/**
 * Changes on a PostgreSQL queue, across processes and machines: this machine's wake sockets
 * (localChanges: the hooks of its agents poke them without opening the database, and a board
 * hears its own process's writes), and pg_notify (sent as a query: @effect/sql-pg's `notify` is
 * broken, see PITFALLS.md) heard by one listener per subscription on every machine.
 */
export const PgChangesLive = (url: string) =>
  Layer.effect(
    Changes,
    Effect.gen(function* () {
      const config = yield* HubConfig
      const sql = yield* SqlClient.SqlClient
      const local = localChanges(config.home)
      const overPostgres = (onChange: () => void) =>
        Effect.acquireRelease(
          Effect.sync(() => listenForChanges(url, onChange)),
          (listener) => Effect.sync(listener.close)
        )
      return Changes.of({
        announce: Effect.zipRight(
          local.announce,
          sql`SELECT pg_notify(${CHANGES_CHANNEL}, ${self})`.pipe(Effect.timeout("1 second"), Effect.ignore)
        ),
        subscribe: (onChange) => Effect.zipRight(overPostgres(onChange), local.subscribe(onChange)),
        subscribeAll: (onChange) => Effect.zipRight(overPostgres(onChange), local.subscribeAll(onChange)),
        wakeHere: local.wakeHere
      })
    })
  )
