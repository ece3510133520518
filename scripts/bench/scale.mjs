// 5. Scale: 100,000 tasks with their events, priorities and some dependencies. `task create`
// throughput (store level, beside the same INSERT run raw on better-sqlite3, and the CLI for a
// few), the next-ready pick with its query plan (and again with 1,000 high-priority tasks waiting
// ahead of the first it may take), `hub task list` and `hub status` at that size, and the
// database size.
import * as path from "node:path"
import {
  Database,
  dbSize,
  figure,
  fmtBytes,
  fmtMs,
  log,
  makeSandbox,
  nodeFloor,
  nowMs,
  sandboxRuntime,
  stats,
  timeHub
} from "./lib.mjs"

export const name = "scale"
export const description = "100,000 tasks + events: create rate, next-ready pick (query plan, waiting tasks ahead), task list, status, db size"

const BATCH = 1000
const REPO = "acme/app"
const DESCRIPTION = "Make the thing do what the issue asks; keep the tests green and explain the change in the PR. ".repeat(2)

// TaskStore.create's statement, word for word, for the raw reference.
const RAW_INSERT = `
  INSERT INTO tasks (seq, id, title, kind, status, priority, "after", description, repo, links, comments,
                     change_actor, change_reason, created_at, updated_at)
  SELECT n, printf('TASK-%04d', n), ?, ?, ?, ?, ?, ?, ?, ?, '[]', 'human', 'created', ?, ?
  FROM (SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM tasks)
  RETURNING *`

// TaskStore.claimNext's statement (the pick is its first subquery).
const CLAIM = `
  UPDATE tasks SET status = 'in-progress', attempt = attempt + 1, rev = rev + 1,
         host = ?, claimed_at = ?, lease_pid = ?, lease_start = ?, error = NULL,
         window_id = NULL, pane_pid = NULL, session_id = NULL, tmux_socket = NULL,
         tmux_session = NULL, workspace_fresh = 0, started_at = NULL,
         change_actor = 'dispatcher', change_reason = 'claimed', updated_at = ?
  WHERE seq = (SELECT t.seq FROM tasks t WHERE t.status IN ('ready')
                 AND NOT EXISTS (SELECT 1 FROM task_deps d JOIN tasks p ON p.seq = d.dep_seq
                                 WHERE d.task_seq = t.seq AND p.status <> 'done')
               ORDER BY t.priority_rank, t.seq LIMIT 1)
    AND (SELECT count(*) FROM tasks WHERE host = ? AND status = 'in-progress') < ?
  RETURNING *`
const PICK = `SELECT t.seq FROM tasks t WHERE t.status IN ('ready')
  AND NOT EXISTS (SELECT 1 FROM task_deps d JOIN tasks p ON p.seq = d.dep_seq WHERE d.task_seq = t.seq AND p.status <> 'done')
  ORDER BY t.priority_rank, t.seq LIMIT 1`

/** Where each task ends up, by seq: 95% long done, ~4% visible in `task list`. */
const fate = (seq) => {
  const r = seq % 1000
  if (r < 950) return "done-old"
  if (r < 960) return "cancelled-old"
  if (r < 970) return "done-recent"
  if (r < 985) return "ready"
  if (r < 990) return "backlog"
  if (r < 995) return "in-review"
  if (r < 998) return "blocked"
  return "failed-recent"
}

const id = (seq) => `TASK-${String(seq).padStart(4, "0")}`

/**
 * One task in 7 is high, one in 7 low. Of the tasks that stay ready, one in three waits: 5 per
 * 1,000 on the in-review task of the thousand before (not done: they stay waiting, and a third
 * of them are high, so the pick passes over them), 5 per 1,000 on a long-done one (met).
 */
const afterOf = (seq) => {
  const r = seq % 1000
  if (seq < 1000 || r < 970 || r >= 980) return []
  return [id(r < 975 ? seq - r - 10 : seq - r - 100)]
}

const taskInput = (seq) => ({
  title: `Task ${seq}: implement part ${seq % 97} of the feature`,
  kind: seq % 10 === 0 ? "review" : seq % 17 === 0 ? "debug" : "implement",
  status: fate(seq) === "backlog" ? "backlog" : "ready",
  priority: seq % 7 === 0 ? "high" : seq % 7 === 1 ? "low" : "normal",
  after: afterOf(seq),
  description: DESCRIPTION,
  repo: seq % 3 === 0 ? null : REPO,
  links: []
})

const planText = (db, sql, ...params) =>
  db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params).map((r) => r.detail)

export const run = async ({ lib, quick }) => {
  const total = quick ? 20_000 : 100_000
  const cliRounds = quick ? 5 : 10
  const pickRounds = quick ? 200 : 500
  const { hub, effect } = lib
  const { Effect, Option } = effect
  const sandbox = makeSandbox("scale")
  const rt = sandboxRuntime(lib, sandbox)
  let db
  try {
    // --- fill, in batches of 1,000: one in five through TaskStore.create (hub), one in five by
    // the same INSERT on better-sqlite3, one transaction each (reference); the rest in bulk.
    const store = await rt.run(hub.TaskStore)
    await rt.run(store.list({ statuses: ["ready"] })) // opens and migrates the file
    db = new Database(path.join(sandbox.hubHome, "hub.db"))
    db.pragma("busy_timeout = 10000")
    db.pragma("synchronous = NORMAL")
    const insert = db.prepare(RAW_INSERT)
    const seqOf = db.prepare(`SELECT seq FROM tasks WHERE id = ?`).pluck()
    const insertDep = db.prepare(`INSERT INTO task_deps (task_seq, dep_seq) VALUES (?, ?)`)
    const insertRaw = (t) => {
      const at = new Date().toISOString()
      const [row] = insert.all(t.title, t.kind, t.status, t.priority, JSON.stringify(t.after), t.description, t.repo, JSON.stringify(t.links), at, at)
      for (const dep of t.after) insertDep.run(row.seq, seqOf.get(dep))
    }
    // As TaskStore.create: a task with dependencies is one transaction with its task_deps rows.
    const insertOne = (t) => (t.after.length === 0 ? insertRaw(t) : db.transaction(insertRaw)(t))
    const hubRates = []
    const rawRates = []
    let hubMade = 0
    let rawMade = 0
    const bulk = db.transaction((inputs) => {
      for (const t of inputs) insertRaw(t)
    })
    const t0 = nowMs()
    for (let b = 0; b * BATCH < total; b++) {
      const first = b * BATCH + 1
      const inputs = Array.from({ length: Math.min(BATCH, total - b * BATCH) }, (_, k) => taskInput(first + k))
      const tb = nowMs()
      if (b % 5 === 0) {
        // One autocommit statement per task, as `hub task create` does.
        await rt.run(Effect.forEach(inputs, (input) => store.create(input), { discard: true }))
        hubRates.push(inputs.length / ((nowMs() - tb) / 1000))
        hubMade += inputs.length
      } else if (b % 5 === 1) {
        for (const t of inputs) insertOne(t)
        rawRates.push(inputs.length / ((nowMs() - tb) / 1000))
        rawMade += inputs.length
      } else {
        bulk(inputs)
      }
    }
    const fillMs = nowMs() - t0
    log(`  fill: ${total.toLocaleString("en-US")} tasks in ${fmtMs(fillMs)} (${hubMade.toLocaleString("en-US")} through TaskStore.create, ` +
      `${rawMade.toLocaleString("en-US")} by the same INSERT raw, one transaction each; the rest in bulk transactions)`)

    // --- history: move the tasks along real paths; the triggers write every event ------------
    const th = nowMs()
    const old = new Date(Date.now() - 30 * 24 * 3600_000).toISOString()
    const recent = new Date(Date.now() - 2 * 24 * 3600_000).toISOString()
    const step = db.prepare(`
      UPDATE tasks SET status = ?, rev = rev + 1, attempt = attempt + ?, change_actor = ?, change_reason = ?, updated_at = ?
      WHERE seq % 1000 >= ? AND seq % 1000 < ? AND status = ?`)
    const history = db.transaction(() => {
      // [from r, to r): the fates of seq % 1000 (see fate()).
      const paths = [
        [0, 950, old, [["ready", "in-progress", 1, "dispatcher", "claimed"], ["in-progress", "in-progress", 0, "dispatcher", "agent started"],
          ["in-progress", "in-review", 0, "agent", "reported in-review"], ["in-review", "done", 0, "human", "reported done"]]],
        [950, 960, old, [["ready", "cancelled", 0, "human", "hub task cancel"]]],
        [960, 970, recent, [["ready", "in-progress", 1, "dispatcher", "claimed"], ["in-progress", "in-review", 0, "agent", "reported in-review"],
          ["in-review", "done", 0, "human", "reported done"]]],
        [990, 995, recent, [["ready", "in-progress", 1, "dispatcher", "claimed"], ["in-progress", "in-review", 0, "agent", "reported in-review"]]],
        [995, 998, recent, [["ready", "in-progress", 1, "dispatcher", "claimed"], ["in-progress", "blocked", 0, "agent", "reported blocked"]]],
        [998, 1000, recent, [["ready", "in-progress", 1, "dispatcher", "claimed"], ["in-progress", "failed", 0, "reconciler", "agent exited with status 1"]]]
      ]
      for (const [lo, hi, at, moves] of paths) {
        for (const [from, to, bump, actor, reason] of moves) step.run(to, bump, actor, reason, at, lo, hi, from)
      }
    })
    history()
    const counts = db.prepare(`SELECT (SELECT count(*) FROM tasks) AS tasks, (SELECT count(*) FROM events) AS events`).get()
    log(`  history: ${counts.events.toLocaleString("en-US")} events for ${counts.tasks.toLocaleString("en-US")} tasks (written by the triggers) in ${fmtMs(nowMs() - th)}`)

    // 20 agents alive on the private tmux server, recorded as in-progress tasks.
    sandbox.tmux(["new-session", "-d", "-s", "hub", "-n", "hub"])
    const live = db.prepare(`SELECT id FROM tasks WHERE status = 'ready' ORDER BY seq DESC LIMIT 20`).all()
    const started = db.prepare(`
      UPDATE tasks SET status = 'in-progress', attempt = attempt + 1, rev = rev + 1, change_actor = 'dispatcher',
             change_reason = 'claimed', window_id = ?, pane_pid = ?, tmux_socket = ?, tmux_session = 'hub',
             started_at = ?, updated_at = ? WHERE id = ?`)
    for (const { id } of live) {
      const r = sandbox.tmux(["new-window", "-d", "-P", "-F", "#{window_id} #{pane_pid}", "-t", "=hub:", "-n", id, "sleep 600"])
      const [windowId, pid] = r.stdout.trim().split(" ")
      const at = new Date().toISOString()
      started.run(windowId, Number(pid), sandbox.socket, at, at, id)
    }
    // No ANALYZE: hub never runs it, so the plans are the ones users get.
    db.pragma("wal_checkpoint(TRUNCATE)")

    // --- the next-ready pick -----------------------------------------------------------------
    const claimPlan = planText(db, CLAIM, "bench", "t", 1, "x", "t", "bench", 1)
    log("  EXPLAIN QUERY PLAN, the claim (TaskStore.claimNext):")
    for (const line of claimPlan) log(`      ${line}`)
    // Indexed: the pick walks tasks_claim_order in claim order (no sort), each dependency probe
    // is a search, nothing scans a table.
    const pickIndexed = claimPlan.some((l) => /SEARCH t USING (COVERING )?INDEX tasks_claim_order/.test(l)) &&
      claimPlan.some((l) => /SEARCH d USING PRIMARY KEY/.test(l)) &&
      !claimPlan.some((l) => /^SCAN |TEMP B-TREE/.test(l))
    // TaskStore.list's statement for the visible tasks (unfinished, or finished in the last 7 days).
    const listSql = `SELECT * FROM tasks WHERE 1 = 1 AND seq IN (
        SELECT seq FROM tasks WHERE status IN ('backlog', 'ready', 'in-progress', 'blocked', 'in-review')
        UNION ALL SELECT seq FROM tasks WHERE status IN ('done', 'failed', 'cancelled') AND updated_at >= ?) ORDER BY seq`
    log("  EXPLAIN QUERY PLAN, hub task list (visible tasks):")
    for (const line of planText(db, listSql, "t")) log(`      ${line}`)
    const statusSql = `SELECT * FROM tasks WHERE status IN ('backlog', 'ready', 'in-progress', 'blocked', 'in-review') AND 1 = 1 ORDER BY seq`
    log("  EXPLAIN QUERY PLAN, hub status (open tasks):")
    for (const line of planText(db, statusSql)) log(`      ${line}`)

    /** How many ready tasks come before the one the pick takes, in claim order: each one waits. */
    const waitingAhead = () => {
      const first = db.prepare(`SELECT seq, priority_rank AS rank FROM tasks WHERE seq = (${PICK})`).get()
      return db.prepare(`SELECT count(*) AS n FROM tasks WHERE status = 'ready' AND (priority_rank < ? OR (priority_rank = ? AND seq < ?))`)
        .get(first.rank, first.rank, first.seq).n
    }
    const ahead = waitingAhead()
    const readyCounts = db.prepare(`
      SELECT count(*) AS ready, sum(EXISTS (SELECT 1 FROM task_deps d JOIN tasks p ON p.seq = d.dep_seq
                                             WHERE d.task_seq = t.seq AND p.status <> 'done')) AS waiting
      FROM tasks t WHERE status = 'ready'`).get()
    log(`  ready: ${readyCounts.ready.toLocaleString("en-US")} tasks, ${readyCounts.waiting} of them waiting on a dependency; ` +
      `${ahead} waiting ahead of the one the pick takes`)
    const timeRawPick = (rounds) => {
      const pick = db.prepare(PICK)
      const times = []
      for (let i = 0; i < rounds; i++) {
        const t = nowMs()
        pick.get()
        times.push(nowMs() - t)
      }
      return times
    }
    const rawPick = timeRawPick(pickRounds * 4)
    const lease = { pid: process.pid, start: "bench" }
    const claimOnce = Effect.gen(function* () {
      const t = nowMs()
      const claimed = yield* store.claimNext(1_000_000, lease, "bench")
      const ms = nowMs() - t
      if (Option.isNone(claimed)) return yield* Effect.die(new Error("nothing ready to claim"))
      yield* store.rollback({ id: claimed.value.id, attempt: claimed.value.attempt }, "ready", "bench: put back", null)
      return ms
    })
    for (let i = 0; i < 20; i++) await rt.run(claimOnce)
    const hubPick = []
    for (let i = 0; i < pickRounds; i++) hubPick.push(await rt.run(claimOnce))

    // --- the CLI at this size ----------------------------------------------------------------
    const visible = db.prepare(`SELECT count(*) AS n FROM tasks WHERE status NOT IN ('done', 'failed', 'cancelled') OR updated_at >= ?`)
      .get(new Date(Date.now() - 7 * 24 * 3600_000).toISOString()).n
    const listed = timeHub(sandbox, ["task", "list"]).stdout.trim().split("\n").length - 1
    if (listed !== visible) throw new Error(`hub task list printed ${listed} tasks, expected ${visible}`)
    const statusRows = timeHub(sandbox, ["status"]).stdout.trim().split("\n").length - 1
    const alive = timeHub(sandbox, ["status"]).stdout.split("\n").filter((l) => / alive /.test(l)).length
    const cli = { node: [], list: [], status: [], create: [] }
    for (let i = 0; i < 2; i++) nodeFloor(sandbox)
    for (let i = 0; i < cliRounds; i++) {
      cli.node.push(nodeFloor(sandbox))
      cli.list.push(timeHub(sandbox, ["task", "list"]).ms)
      cli.status.push(timeHub(sandbox, ["status"]).ms)
      cli.create.push(timeHub(sandbox, ["task", "create", "--title", `cli create ${i}`, "--repo", REPO]).ms)
    }
    // In-process, the same two reads without the process around them.
    const inProc = { list: [], all: [], status: [] }
    for (let i = 0; i < cliRounds; i++) {
      let t = nowMs()
      await rt.run(store.list({}))
      inProc.list.push(nowMs() - t)
      t = nowMs()
      await rt.run(hub.status)
      inProc.status.push(nowMs() - t)
      // Every task, as reap and verify read them: the decoding of 100k rows.
      t = nowMs()
      await rt.run(store.list({ all: true }))
      inProc.all.push(nowMs() - t)
    }
    log(`  hub task list shows ${listed.toLocaleString("en-US")} visible tasks; hub status ${statusRows.toLocaleString("en-US")} open tasks (${alive} in-progress, alive)`)
    log(`  in-process: TaskStore.list (visible) ${fmtMs(stats(inProc.list).median)}, status ${fmtMs(stats(inProc.status).median)}, ` +
      `TaskStore.list (all ${total.toLocaleString("en-US")}) ${fmtMs(stats(inProc.all).median)} (medians)`)

    // --- size ----------------------------------------------------------------------------------
    const final = db.prepare(`SELECT (SELECT count(*) FROM tasks) AS tasks, (SELECT count(*) FROM events) AS events`).get()
    db.pragma("wal_checkpoint(TRUNCATE)")
    db.close()
    db = undefined
    const size = dbSize(sandbox.hubHome)
    log(`  database: ${fmtBytes(size.db)} (+ WAL ${fmtBytes(size.wal)}) for ${final.tasks.toLocaleString("en-US")} tasks and ${final.events.toLocaleString("en-US")} events ` +
      `(${Math.round(size.db / final.tasks)} B per task with its history)`)

    // --- the pick past waiting tasks -------------------------------------------------------------
    // The claim's worst case: the first 1,000 tasks in claim order all wait. 1,000 high-priority
    // tasks after a task in progress (through TaskStore.create), and every other high one made
    // normal, so none comes before them.
    db = new Database(path.join(sandbox.hubHome, "hub.db"))
    db.pragma("busy_timeout = 10000")
    const blocker = db.prepare(`SELECT id FROM tasks WHERE status = 'in-progress' ORDER BY seq LIMIT 1`).pluck().get()
    const WAITING = 1000
    await rt.run(Effect.forEach(Array.from({ length: WAITING }), (_, i) =>
      store.create({ ...taskInput(total + 100 + i), status: "ready", priority: "high", after: [blocker] }), { discard: true }))
    db.prepare(`UPDATE tasks SET priority = 'normal' WHERE status = 'ready' AND priority = 'high' AND "after" NOT LIKE ?`).run(`%${blocker}%`)
    const aheadWorst = waitingAhead()
    for (let i = 0; i < 20; i++) await rt.run(claimOnce)
    const worstPick = []
    for (let i = 0; i < pickRounds; i++) worstPick.push(await rt.run(claimOnce))
    const rawWorst = timeRawPick(pickRounds)
    log(`  pick past ${aheadWorst} waiting tasks: TaskStore.claimNext ${fmtMs(stats(worstPick).median)}, the pick SELECT alone ${fmtMs(stats(rawWorst).median)} (medians)`)

    const node = stats(cli.node)
    const hubPickStats = stats(hubPick)
    const sizeLabel = `${(total / 1000).toFixed(0)}k tasks`
    return [
      figure({
        bench: name,
        measure: `task create, store level (TaskStore.create, one transaction each, up to ${sizeLabel})`,
        hub: stats(hubRates),
        reference: stats(rawRates),
        referenceName: "same INSERT, raw better-sqlite3",
        unit: "/s",
        note: "per batch of 1,000; ratio = hub rate / raw rate"
      }),
      figure({
        bench: name,
        measure: `hub task create (CLI, at ${sizeLabel})`,
        hub: stats(cli.create),
        reference: node,
        referenceName: "node -e 0"
      }),
      figure({
        bench: name,
        measure: `next-ready pick: TaskStore.claimNext at ${sizeLabel}, ${ahead} waiting tasks ahead (${pickIndexed ? "index tasks_claim_order" : "NO INDEX"})`,
        hub: hubPickStats,
        reference: stats(rawPick),
        referenceName: "the pick SELECT, raw prepared",
        aim: { text: "≤ 1 ms, indexed", ok: hubPickStats.median <= 1 && pickIndexed }
      }),
      figure({
        bench: name,
        measure: `next-ready pick past ${aheadWorst.toLocaleString("en-US")} waiting high-priority tasks, at ${sizeLabel}`,
        hub: stats(worstPick),
        reference: stats(rawWorst),
        referenceName: "the pick SELECT, raw prepared",
        note: "the worst case: every task before the first it may take waits on one in progress"
      }),
      figure({
        bench: name,
        measure: `hub task list (CLI, ${listed.toLocaleString("en-US")} visible of ${sizeLabel})`,
        hub: stats(cli.list),
        reference: node,
        referenceName: "node -e 0"
      }),
      figure({
        bench: name,
        measure: `hub status (CLI, ${statusRows.toLocaleString("en-US")} open of ${sizeLabel}, ${alive} live agents)`,
        hub: stats(cli.status),
        reference: node,
        referenceName: "node -e 0"
      }),
      figure({
        bench: name,
        measure: `database size: ${fmtBytes(size.db)} for ${final.tasks.toLocaleString("en-US")} tasks + ${final.events.toLocaleString("en-US")} events`,
        hub: null,
        note: `${Math.round(size.db / final.tasks)} B per task with its history`
      })
    ]
  } finally {
    if (db) db.close()
    await rt.dispose()
    sandbox.dispose()
  }
}
