// 7. PostgreSQL: claims per second with 4 processes on one PostgreSQL (TaskStore.claimNext:
// FOR UPDATE SKIP LOCKED under an advisory lock) beside the same 4 processes on one SQLite file,
// both measured here, interleaved; double claims counted from the events table and the workers'
// ids, and the cap checked. Then an in-process dispatch (claim → live window) on each store.
// The server is a private one (scripts/postgres.mjs) with PostgreSQL's default durability
// (fsync on, synchronous_commit on), on this machine's disk, over TCP on 127.0.0.1.
import * as path from "node:path"
import { startPostgres } from "../postgres.mjs"
import { race, round as sqliteRound } from "./claims.mjs"
import { figure, log, makeOriginRepo, makeSandbox, nowMs, sandboxRuntime, stats } from "./lib.mjs"

export const name = "postgres"
export const description = "claims/s with 4 processes on one PostgreSQL beside one SQLite file; dispatch time on each"

/** A fresh database of `n` ready tasks (migrated by hub itself, seeded by one INSERT). */
const seededDatabase = async (lib, server, n) => {
  const url = server.createDatabase("bench")
  const { hub, effect } = lib
  const { Effect, Layer, ManagedRuntime, Option } = effect
  const rt = ManagedRuntime.make(hub.TaskStoreLive.pipe(Layer.provide(hub.HubConfigFrom({ home: "/nonexistent", databaseUrl: Option.some(url) }))))
  await rt.runPromise(Effect.flatMap(hub.TaskStore, (s) => s.list()))
  await rt.dispose()
  server.psql(`INSERT INTO tasks (seq, id, title, kind, status, change_actor, change_reason, created_at, updated_at)
    SELECT n, 'TASK-' || lpad(n::text, 4, '0'), 'claim bench ' || n, 'implement', 'ready', 'human', 'created',
           '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM generate_series(1, ${n}) AS n`, url.split("/").pop())
  return url
}

const audit = (server, db) => {
  const q = (text) => Number(server.psql(text, db).trim())
  return {
    doubles: q(`SELECT count(*) FROM (SELECT task_id FROM events WHERE to_status = 'in-progress' AND from_status = 'ready' GROUP BY task_id HAVING count(*) > 1) d`),
    inProgress: q(`SELECT count(*) FROM tasks WHERE status = 'in-progress'`)
  }
}

const pgRound = async (lib, server, procs, n, cap) => {
  const url = await seededDatabase(lib, server, n)
  const sandbox = makeSandbox("claims-pg")
  try {
    const reports = await race(sandbox.hubHome, procs, cap, { HUB_DATABASE_URL: url })
    const start = Math.min(...reports.map((r) => r.start))
    const end = Math.max(...reports.map((r) => r.end))
    const ids = reports.flatMap((r) => r.ids)
    const history = audit(server, url.split("/").pop())
    return {
      claims: reports.reduce((s, r) => s + r.claims, 0),
      ms: end - start,
      cpuMs: reports.reduce((a, r) => a + r.cpuMs, 0),
      perProcess: reports.map((r) => r.claims),
      duplicateIds: ids.length - new Set(ids).size,
      ...history
    }
  } finally {
    sandbox.dispose()
  }
}

/** Median ms of in-process dispatches (claim → live window, fetch already done) on one store. */
const dispatchTimes = async (lib, overrides, rounds) => {
  const { hub, effect } = lib
  const { Effect, Option, Ref } = effect
  const sandbox = makeSandbox("dispatch-pg")
  const rt = sandboxRuntime(lib, sandbox, { dispatchCap: 1, ...overrides })
  try {
    const origin = makeOriginRepo(path.join(sandbox.dir, "origin"))
    const added = sandbox.hub(["repo", "add", "bench/origin", origin])
    if (added.code !== 0) throw new Error(`hub repo add: ${added.stderr}`)
    const fetched = await rt.run(Ref.make(new Set(["bench/origin"])))
    const samples = []
    for (let i = 0; i < rounds; i++) {
      await rt.run(Effect.flatMap(hub.TaskStore, (s) =>
        s.create({ title: "bench dispatch", kind: "implement", status: "ready", description: "", repo: "bench/origin", links: [] })))
      const t0 = nowMs()
      const started = await rt.run(hub.dispatchNext({ fetched }))
      samples.push(nowMs() - t0)
      if (Option.isNone(started)) throw new Error("dispatchNext started nothing")
      await rt.run(hub.changeStatus(started.value.task.id, "cancel", "cancelled", { actor: "human", reason: "bench cleanup" }))
    }
    return samples
  } finally {
    await rt.dispose()
    sandbox.dispose()
  }
}

/** Claims rounds on one server, SQLite rounds interleaved; the rates and the double claims. */
const claimsOn = async (lib, server, { procs, n, rounds, label }) => {
  const bigCap = 1_000_000
  const pg = []
  const sqlite = []
  let doubles = 0
  for (let r = 0; r < rounds; r++) {
    pg.push(await pgRound(lib, server, procs, n, bigCap))
    sqlite.push(await sqliteRound(lib, procs, n, bigCap))
  }
  for (const [which, rs] of [[label, pg], ["SQLite", sqlite]]) {
    for (const r of rs) {
      log(`  ${which}, ${procs} processes: ${r.claims} claims of ${n} in ${r.ms.toFixed(0)} ms, CPU ${Math.round((1000 * r.cpuMs) / r.claims)} µs/claim ` +
        `(per process ${r.perProcess.join("/")}); double claims: ${r.doubles} in events, ${r.duplicateIds} in worker ids; in-progress ${r.inProgress}`)
      doubles += r.doubles + r.duplicateIds
      if (r.claims !== n || r.inProgress !== n) log(`  WARNING: expected ${n} claims and ${n} in-progress`)
    }
  }
  const cap = 50
  const capped = await pgRound(lib, server, procs, 200, cap)
  const capOk = capped.claims === cap && capped.inProgress === cap && capped.doubles === 0 && capped.duplicateIds === 0
  log(`  ${label}, cap ${cap}, ${procs} processes, 200 ready: ${capped.claims} claimed (per process ${capped.perProcess.join("/")}), ` +
    `${capped.inProgress} in-progress: ${capOk ? "ok" : "CAP EXCEEDED OR WRONG"}`)
  const rate = (r) => r.claims / (r.ms / 1000)
  return { pg: stats(pg.map(rate)), sqlite: stats(sqlite.map(rate)), doubles, capOk }
}

export const run = async ({ lib, quick }) => {
  const procs = 4
  const n = quick ? 1000 : 5000
  const rounds = quick ? 2 : 3
  const figures = []
  // PostgreSQL's default (every commit flushed to disk), and with synchronous_commit off: a
  // commit returns before its WAL is flushed (a crash of the server or the machine may lose
  // the last fraction of a second of commits, never corrupts), closer to what SQLite's
  // synchronous=NORMAL in WAL mode promises.
  const setups = [
    { label: "PostgreSQL (default durability)", settings: [] },
    { label: "PostgreSQL (synchronous_commit=off)", settings: ["synchronous_commit=off"] }
  ]
  for (const setup of setups) {
    const server = await startPostgres({ durable: true, settings: setup.settings })
    try {
      const c = await claimsOn(lib, server, { procs, n, rounds, label: setup.label })
      figures.push(figure({
        bench: name,
        measure: `claims/s, ${procs} processes on one ${setup.label} (${n.toLocaleString("en-US")} ready tasks; ${c.doubles} double claims; cap ${c.capOk ? "held" : "EXCEEDED"})`,
        hub: c.pg,
        reference: c.sqlite,
        referenceName: `${procs} processes on one SQLite file`,
        unit: "/s",
        aim: { text: "≥ 2,000 claims/s, 0 double claims", ok: c.pg.median >= 2000 && c.doubles === 0 && c.capOk },
        note: "ratio = PostgreSQL rate / SQLite rate, rounds interleaved"
      }))
      if (setup.settings.length === 0) {
        const dispatchRounds = quick ? 5 : 15
        const onPg = await dispatchTimes(lib, { databaseUrl: lib.effect.Option.some(server.createDatabase("dispatch")) }, dispatchRounds)
        const onSqlite = await dispatchTimes(lib, {}, dispatchRounds)
        figures.push(figure({
          bench: name,
          measure: `in-process dispatch on ${setup.label}, claim → live window (fetch already done)`,
          hub: stats(onPg),
          reference: stats(onSqlite),
          referenceName: "the same on SQLite",
          unit: "ms"
        }))
      }
    } finally {
      server.dispose()
    }
  }
  return figures
}
