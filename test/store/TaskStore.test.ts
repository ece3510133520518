import { SqlClient } from "@effect/sql"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import type { Task, TaskStatus } from "../../src/domain/Task.js"
import { TaskId } from "../../src/domain/TaskId.js"
import type { Move } from "../../src/domain/transitions.js"
import { TaskStore } from "../../src/store/TaskStore.js"
import { aTask } from "../support/tasks.js"
import { BACKENDS, countEvents, create, createIn as createInStatus, FreshStore, fileSandbox, rawEvents, HOST } from "./helpers.js"

const DAY = 24 * 3600_000
const iso = (ms: number) => new Date(ms).toISOString()
const lease = { pid: 4242, start: "12345" }
const window = { windowId: "@7", panePid: 999, sessionId: "sess-1", tmuxSocket: "sock", tmuxSession: "hub" }

/**
 * The TaskStore contract: every test below runs on both layers of the store, SQLite and
 * PostgreSQL (a database of its own per test on the run's server, test/support/postgres.ts).
 */
describe.each(BACKENDS)("%s", (backend) => {
const { freshStore, test } = fileSandbox("store", backend)

test("runs on its own engine", () =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const engine = sql.onDialectOrElse({ pg: () => "postgres", sqlite: () => "sqlite", orElse: () => "other" })
    expect(engine).toBe(backend)
  }))

/** Everything about a task that a refused or fenced write must leave alone. */
const snapshot = (id: TaskId) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    return { task: yield* store.get(id), events: yield* rawEvents(id), total: yield* countEvents }
  })

describe("TaskStore.create", () => {
  test("allocates TASK-0001, TASK-0002, … in order", () =>
    Effect.gen(function* () {
      const ids: Array<string> = []
      for (let i = 0; i < 12; i++) ids.push((yield* create({ title: `t${i}` })).id)
      expect(ids).toEqual(Array.from({ length: 12 }, (_, i) => `TASK-${String(i + 1).padStart(4, "0")}`))
    }))

  test("fills the default fields", () =>
    Effect.gen(function* () {
      yield* TestClock.adjust("5 seconds")
      const task = yield* create({ title: "Fix the login" })
      // Every field of a new task: the defaults of test/support/tasks.ts, no agent state.
      expect(task).toMatchObject(aTask({
        id: TaskId.make("TASK-0001"),
        title: "Fix the login",
        created_at: "1970-01-01T00:00:05.000Z",
        updated_at: "1970-01-01T00:00:05.000Z"
      }))
    }))

  test("stores kind, status, description, repo and links as given", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const created = yield* create({
        title: "review it",
        kind: "review",
        status: "backlog",
        description: "line 1\nline 2 'quoted' \"double\" ünïcødé 🚀",
        repo: "acme/web",
        links: ["https://example.com/a", "https://example.com/b?x=1&y='2'"]
      })
      const read = yield* store.get(created.id)
      expect(read).toMatchObject({
        kind: "review",
        status: "backlog",
        description: "line 1\nline 2 'quoted' \"double\" ünïcødé 🚀",
        repo: "acme/web",
        links: ["https://example.com/a", "https://example.com/b?x=1&y='2'"]
      })
      expect(read).toEqual(created)
    }))

  test("keeps hostile text as text", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const title = "x'); DROP TABLE tasks; -- $(rm -rf ~) `id`"
      const task = yield* create({ title })
      expect((yield* store.get(task.id)).title).toBe(title)
      expect(yield* store.list()).toHaveLength(1)
    }))

  test("writes one 'created' event by the human, from nothing to the first status", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      yield* TestClock.adjust("1 second")
      const ready = yield* create()
      const backlog = yield* create({ status: "backlog" })
      expect(yield* store.events(ready.id)).toEqual([
        { id: expect.any(Number), task_id: ready.id, attempt: 0, from: null, to: "ready", actor: "human", reason: "created", at: ready.created_at }
      ])
      const rows = yield* rawEvents(backlog.id)
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({ from_status: null, to_status: "backlog", actor: "human", reason: "created" })
      expect(yield* countEvents).toBe(2)
    }))

  test("a blank title is refused by the database and leaves no trace", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(create({ title: "   " }))
      expect(error._tag).toBe("StoreError")
      expect(yield* countEvents).toBe(0)
      expect(yield* (yield* TaskStore).list({ all: true })).toEqual([])
      // The failed insert did not use up an id.
      expect((yield* create()).id).toBe("TASK-0001")
    }))

  test("ids grow past four digits", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO tasks (seq, id, title, kind, status, change_actor, change_reason, created_at, updated_at)
                 VALUES (12344, 'TASK-12344', 'old', 'implement', 'ready', 'human', 'created', '1970', '1970')`
      expect((yield* create()).id).toBe("TASK-12345")
    }))
})

describe("TaskStore.get and events", () => {
  test("an unknown id is TaskNotFound", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      yield* create()
      const error = yield* Effect.flip(store.get("TASK-0042" as TaskId))
      expect(error._tag).toBe("TaskNotFound")
      expect(error).toMatchObject({ taskId: "TASK-0042", message: "no such task: TASK-0042" })
      const eventsError = yield* Effect.flip(store.events("TASK-0042" as TaskId))
      expect(eventsError._tag).toBe("TaskNotFound")
    }))

  test("get returns the revision; it starts at 0", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      expect((yield* store.get(task.id)).rev).toBe(0)
    }))
})

describe("TaskStore.list", () => {
  const createIn = (status: TaskStatus, title: string = status) => createInStatus(status, { title })

  test("lists in id order", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      for (const s of ["ready", "backlog", "blocked", "ready"] as const) yield* createIn(s)
      expect((yield* store.list()).map((t) => t.id)).toEqual(["TASK-0001", "TASK-0002", "TASK-0003", "TASK-0004"])
    }))

  test("hides terminal tasks older than 7 days, shows recent ones and every open one", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      // Day 0: the old ones.
      const oldDone = yield* createIn("done")
      const oldFailed = yield* createIn("failed")
      const oldCancelled = yield* createIn("cancelled")
      const oldBlocked = yield* createIn("blocked")
      const oldBacklog = yield* createIn("backlog")
      const oldReady = yield* createIn("ready")
      const oldRunning = yield* createIn("in-progress")
      const oldReview = yield* createIn("in-review")
      yield* TestClock.adjust(DAY * 10)
      // Day 10: the recent ones.
      const newDone = yield* createIn("done")
      const newFailed = yield* createIn("failed")
      const newCancelled = yield* createIn("cancelled")
      yield* TestClock.adjust(DAY)

      const shown = (yield* store.list()).map((t) => t.id)
      expect(shown).toEqual([
        oldBlocked, oldBacklog, oldReady, oldRunning, oldReview, newDone, newFailed, newCancelled
      ])
      expect(shown).not.toContain(oldDone)
      expect(shown).not.toContain(oldFailed)
      expect(shown).not.toContain(oldCancelled)

      const all = (yield* store.list({ all: true })).map((t) => t.id)
      expect(all).toHaveLength(11)
      expect(all).toContain(oldDone)
      expect(all).toContain(oldFailed)
      expect(all).toContain(oldCancelled)
    }))

  test("listSummaries lists what list lists, in the same order, with the table's columns", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      for (const status of ["done", "ready", "blocked", "failed", "in-review"] as const) yield* createIn(status)
      yield* TestClock.adjust(DAY * 10)
      yield* createIn("cancelled")
      yield* createIn("backlog")
      const five = ({ id, status, priority, kind, repo, title }: Task) => ({ id, status, priority, kind, repo, title, waiting: [] })
      for (const filter of [{}, { all: true }, { statuses: ["ready", "done"] as const }, { all: true, statuses: ["failed"] as const }]) {
        const summaries = yield* store.listSummaries(filter)
        expect(summaries).toEqual((yield* store.list(filter)).map(five))
      }
      expect((yield* store.listSummaries()).length).toBeGreaterThan(0)
    }))

  test("the 7 days count from the last change, to the millisecond", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const done = yield* createIn("done")
      yield* TestClock.adjust(DAY * 7)
      expect((yield* store.list()).map((t) => t.id)).toEqual([done])
      yield* TestClock.adjust(1)
      expect(yield* store.list()).toEqual([])
      // A custom window.
      expect((yield* store.list({ recentMs: DAY * 8 })).map((t) => t.id)).toEqual([done])
    }))

  test("filters by status, one or several", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const ready = yield* createIn("ready")
      const backlog = yield* createIn("backlog")
      const blocked = yield* createIn("blocked")
      const done = yield* createIn("done")
      const ids = (statuses: ReadonlyArray<TaskStatus>) =>
        Effect.map(store.list({ statuses }), (tasks) => tasks.map((t) => t.id))
      expect(yield* ids(["ready"])).toEqual([ready])
      expect(yield* ids(["blocked", "backlog"])).toEqual([backlog, blocked])
      expect(yield* ids(["done"])).toEqual([done])
      expect(yield* ids(["in-review"])).toEqual([])
      // An empty filter is no filter.
      expect(yield* ids([])).toEqual([ready, backlog, blocked, done])
    }))

  test("a status filter on an old terminal status needs all", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const done = yield* createIn("done")
      yield* createIn("ready")
      yield* TestClock.adjust(DAY * 8)
      expect(yield* store.list({ statuses: ["done"] })).toEqual([])
      expect((yield* store.list({ statuses: ["done"], all: true })).map((t) => t.id)).toEqual([done])
    }))

  it.live("reads the age from updated_at as stored (rows written with an old date)", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const sql = yield* SqlClient.SqlClient
      const a = yield* store.create({ title: "a", kind: "implement", status: "ready", description: "", repo: null, links: [] })
      const b = yield* store.create({ title: "b", kind: "implement", status: "ready", description: "", repo: null, links: [] })
      const c = yield* store.create({ title: "c", kind: "implement", status: "ready", description: "", repo: null, links: [] })
      for (const id of [a.id, b.id, c.id]) yield* store.move(id, "cancel", "cancelled", { actor: "human", reason: "t" })
      const old = iso(Date.now() - DAY * 8)
      const recent = iso(Date.now() - DAY * 6)
      yield* sql`UPDATE tasks SET updated_at = ${old} WHERE id = ${a.id}`
      yield* sql`UPDATE tasks SET updated_at = ${recent} WHERE id = ${b.id}`
      expect((yield* store.list()).map((t) => t.id)).toEqual([b.id, c.id])
      expect((yield* store.list({ all: true })).map((t) => t.id)).toEqual([a.id, b.id, c.id])
    }).pipe(Effect.provide(freshStore)))
})

describe("TaskStore.move", () => {
  test("each allowed move writes exactly one event row with from, to, actor and reason", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create({ status: "backlog" })
      const walk: ReadonlyArray<readonly [Move, TaskStatus, "human" | "agent" | "dispatcher" | "reconciler", string]> = [
        ["ready", "ready", "human", "hub task ready"],
        ["claim", "in-progress", "dispatcher", "claimed by hand"],
        ["report", "blocked", "agent", "need a key"],
        ["report", "in-progress", "agent", "got it"],
        ["report", "in-review", "agent", "PR opened"],
        ["report", "blocked", "human", "changes requested"],
        ["ready", "ready", "human", "rework"],
        ["claim", "in-progress", "dispatcher", "again"],
        ["reconcile", "failed", "reconciler", "window gone"],
        ["retry", "ready", "human", "hub task retry"],
        ["cancel", "cancelled", "human", "hub task cancel"]
      ]
      let from: TaskStatus = "backlog"
      let rev = 0
      for (const [move, to, actor, reason] of walk) {
        yield* TestClock.adjust("1 minute")
        const before = yield* rawEvents(task.id)
        const { before: b, after } = yield* store.move(task.id, move, to, { actor, reason })
        expect(b.status).toBe(from)
        expect(b.rev).toBe(rev)
        expect(after.status).toBe(to)
        expect(after.updated_at).toBe(iso(yield* TestClock.currentTimeMillis))
        const rows = yield* rawEvents(task.id)
        expect(rows).toHaveLength(before.length + 1)
        expect(rows.at(-1)).toMatchObject({
          task_id: task.id,
          from_status: from,
          to_status: to,
          actor,
          reason,
          at: after.updated_at
        })
        expect((yield* store.get(task.id)).rev).toBe(rev + 1)
        from = to
        rev++
      }
      const history = yield* store.events(task.id)
      expect(history.map((e) => `${e.from ?? "-"}>${e.to}`)).toEqual([
        "->backlog", "backlog>ready", "ready>in-progress", "in-progress>blocked", "blocked>in-progress",
        "in-progress>in-review", "in-review>blocked", "blocked>ready", "ready>in-progress", "in-progress>failed",
        "failed>ready", "ready>cancelled"
      ])
    }))

  test("a refused move is InvalidTransition naming both states, and changes nothing", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      yield* store.move(task.id, "cancel", "cancelled", { actor: "human", reason: "t" })
      const before = yield* snapshot(task.id)
      yield* TestClock.adjust("1 hour")
      const refused: ReadonlyArray<readonly [Move, TaskStatus]> = [
        ["retry", "ready"],
        ["ready", "ready"],
        ["report", "done"],
        ["cancel", "cancelled"],
        ["claim", "in-progress"]
      ]
      for (const [move, to] of refused) {
        const error = yield* Effect.flip(store.move(task.id, move, to, { actor: "human", reason: "nope" }))
        expect(error._tag).toBe("InvalidTransition")
        if (error._tag === "InvalidTransition") {
          expect(error).toMatchObject({ taskId: task.id, from: "cancelled", to })
          expect(error.message).toContain("cancelled")
          expect(error.message).toContain(to)
          expect(error.message).toContain(task.id)
        }
      }
      expect(yield* snapshot(task.id)).toEqual(before)
    }))

  test("a move that the table has for another command is refused (report cannot make a task ready)", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      yield* store.move(task.id, "claim", "in-progress", { actor: "dispatcher", reason: "t" })
      const before = yield* snapshot(task.id)
      yield* TestClock.adjust("1 hour")
      const error = yield* Effect.flip(store.move(task.id, "report", "ready", { actor: "agent", reason: "t" }))
      expect(error._tag).toBe("InvalidTransition")
      expect(yield* snapshot(task.id)).toEqual(before)
    }))

  test("an unknown task is TaskNotFound and writes nothing", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      yield* create()
      const error = yield* Effect.flip(store.move("TASK-0099" as TaskId, "cancel", "cancelled", { actor: "human", reason: "t" }))
      expect(error._tag).toBe("TaskNotFound")
      expect(yield* countEvents).toBe(1)
    }))

  test("with an expected revision, a task that changed in between is refused and left alone", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create({ status: "backlog" })
      const seen = yield* store.get(task.id)
      yield* store.move(task.id, "ready", "ready", { actor: "human", reason: "someone else" })
      const before = yield* snapshot(task.id)
      yield* TestClock.adjust("1 hour")
      const error = yield* Effect.flip(
        store.move(task.id, "cancel", "cancelled", { actor: "human", reason: "stale" }, { rev: seen.rev })
      )
      expect(error._tag).toBe("InvalidTransition")
      expect(yield* snapshot(task.id)).toEqual(before)
      // With the current revision it goes through.
      const { after } = yield* store.move(task.id, "cancel", "cancelled", { actor: "human", reason: "fresh" }, { rev: before.task.rev })
      expect(after.status).toBe("cancelled")
    }))

  test("moving to ready clears the error; every move clears the lease", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      const claimed = Option.getOrThrow(yield* store.claimNext(1, lease, HOST))
      expect(claimed.lease_pid).toBe(4242)
      yield* store.rollback({ id: task.id, attempt: claimed.attempt }, "failed", "worktree failed", "git exploded")
      expect((yield* store.get(task.id)).error).toBe("git exploded")
      const { after } = yield* store.move(task.id, "retry", "ready", { actor: "human", reason: "retry" })
      expect(after.error).toBeNull()
      const again = Option.getOrThrow(yield* store.claimNext(1, lease, HOST))
      const { after: reported } = yield* store.move(task.id, "report", "in-review", { actor: "agent", reason: "pr" })
      expect(again.lease_pid).toBe(4242)
      expect(reported.lease_pid).toBeNull()
      expect(reported.lease_start).toBeNull()
    }))
})

describe("the history", () => {
  test("refuses UPDATE and DELETE on events", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const task = yield* create()
      const before = yield* rawEvents(task.id)
      const update = yield* Effect.flip(sql`UPDATE events SET reason = 'rewritten'`)
      expect(String((update.cause as Error).message)).toContain("append-only")
      const remove = yield* Effect.flip(sql`DELETE FROM events`)
      expect(String((remove.cause as Error).message)).toContain("append-only")
      const one = yield* Effect.flip(sql`DELETE FROM events WHERE task_id = ${task.id}`)
      expect(one._tag).toBe("SqlError")
      expect(yield* rawEvents(task.id)).toEqual(before)
    }))

  test("a status change that does not bump the revision (and so would not be recorded) is refused", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const store = yield* TaskStore
      const task = yield* create()
      const error = yield* Effect.flip(sql`UPDATE tasks SET status = 'done' WHERE id = ${task.id}`)
      expect(String((error.cause as Error).message)).toContain("must bump rev")
      expect((yield* store.get(task.id)).status).toBe("ready")
      expect(yield* rawEvents(task.id)).toHaveLength(1)
    }))

  test("a status change and its event are one statement: if the event cannot be written, the change is undone", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      const before = yield* snapshot(task.id)
      yield* TestClock.adjust("1 hour")
      // The events table accepts only the four actors; this one makes the event insert fail.
      const error = yield* Effect.flip(
        store.move(task.id, "cancel", "cancelled", { actor: "robot" as unknown as "human", reason: "t" })
      )
      expect(error._tag).toBe("StoreError")
      expect(yield* snapshot(task.id)).toEqual(before)
    }))

  test("comments and links are not status changes: they write no event", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      yield* store.comment(task.id, "human", "hello")
      yield* store.link(task.id, "https://example.com/pr/1")
      expect(yield* rawEvents(task.id)).toHaveLength(1)
      expect((yield* store.get(task.id)).rev).toBe(0)
    }))
})

describe("TaskStore.comment and link", () => {
  test("comments append in order with author, text and time", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      yield* TestClock.adjust("1 second")
      yield* store.comment(task.id, "human", "first")
      yield* TestClock.adjust("1 second")
      const text = "second: 'quotes' \"double\" [json] {\"a\":1} \\ back\nslash ünï 🚀"
      const after = yield* store.comment(task.id, "agent", text)
      expect(after.comments).toEqual([
        { author: "human", text: "first", at: "1970-01-01T00:00:01.000Z" },
        { author: "agent", text, at: "1970-01-01T00:00:02.000Z" }
      ])
      expect(after.updated_at).toBe("1970-01-01T00:00:02.000Z")
      expect((yield* store.get(task.id)).comments).toEqual(after.comments)
    }))

  test("links append and de-duplicate", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create({ links: ["https://example.com/issue/1"] })
      const one = yield* store.link(task.id, "https://example.com/pr/1")
      expect(one.links).toEqual(["https://example.com/issue/1", "https://example.com/pr/1"])
      yield* TestClock.adjust("1 hour")
      const again = yield* store.link(task.id, "https://example.com/pr/1")
      expect(again.links).toEqual(["https://example.com/issue/1", "https://example.com/pr/1"])
      expect(yield* store.link(task.id, "https://example.com/issue/1")).toMatchObject({ links: one.links })
      // A duplicate changes nothing, not even the time.
      expect(again.updated_at).toBe(one.updated_at)
      const two = yield* store.link(task.id, "https://example.com/pr/2?q='x'&r=\"y\"")
      expect(two.links).toEqual([...one.links, "https://example.com/pr/2?q='x'&r=\"y\""])
    }))

  test("an unknown task is TaskNotFound for both", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      yield* create()
      expect((yield* Effect.flip(store.comment("TASK-0002" as TaskId, "human", "x")))._tag).toBe("TaskNotFound")
      expect((yield* Effect.flip(store.link("TASK-0002" as TaskId, "https://x.org")))._tag).toBe("TaskNotFound")
    }))

  test("work on a task in any status, terminal ones included", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      yield* store.move(task.id, "cancel", "cancelled", { actor: "human", reason: "t" })
      expect((yield* store.comment(task.id, "human", "why")).comments).toHaveLength(1)
      expect((yield* store.link(task.id, "https://x.org")).links).toEqual(["https://x.org"])
    }))
})

describe("TaskStore.claimNext", () => {
  test("returns none when nothing is ready", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      expect(yield* store.claimNext(1, lease, HOST)).toEqual(Option.none())
      yield* create({ status: "backlog" })
      const cancelled = yield* create()
      yield* store.move(cancelled.id, "cancel", "cancelled", { actor: "human", reason: "t" })
      const before = yield* countEvents
      expect(yield* store.claimNext(5, lease, HOST)).toEqual(Option.none())
      expect(yield* countEvents).toBe(before)
    }))

  test("takes the oldest ready task, increments the attempt, sets the lease and writes the event", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      yield* create({ status: "backlog" })
      const first = yield* create()
      const second = yield* create()
      yield* TestClock.adjust("1 minute")
      // Touching the first task does not make it younger: age is the id.
      yield* store.comment(first.id, "human", "bump")
      const claimed = Option.getOrThrow(yield* store.claimNext(2, lease, HOST))
      expect(claimed).toMatchObject({
        id: first.id,
        status: "in-progress",
        attempt: 1,
        lease_pid: 4242,
        lease_start: "12345",
        error: null,
        window_id: null,
        session_id: null,
        rev: 1,
        updated_at: "1970-01-01T00:01:00.000Z"
      })
      expect((yield* rawEvents(first.id)).at(-1)).toMatchObject({
        from_status: "ready",
        to_status: "in-progress",
        actor: "dispatcher",
        reason: "claimed",
        attempt: 1
      })
      const next = Option.getOrThrow(yield* store.claimNext(2, lease, HOST))
      expect(next.id).toBe(second.id)
      expect((yield* store.inProgress).map((t) => t.id)).toEqual([first.id, second.id])
    }))

  test("respects the cap and changes nothing when it is reached", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const a = yield* create()
      const b = yield* create()
      const c = yield* create()
      expect(yield* store.claimNext(0, lease, HOST)).toEqual(Option.none())
      expect(Option.getOrThrow(yield* store.claimNext(1, lease, HOST)).id).toBe(a.id)
      const before = yield* snapshot(b.id)
      yield* TestClock.adjust("1 minute")
      expect(yield* store.claimNext(1, lease, HOST)).toEqual(Option.none())
      expect(yield* snapshot(b.id)).toEqual(before)
      expect(Option.getOrThrow(yield* store.claimNext(2, lease, HOST)).id).toBe(b.id)
      expect(yield* store.claimNext(2, lease, HOST)).toEqual(Option.none())
      // Tasks that are blocked or in review do not count against the cap.
      yield* store.move(a.id, "report", "blocked", { actor: "agent", reason: "t" })
      yield* store.move(b.id, "report", "in-review", { actor: "agent", reason: "t" })
      expect(Option.getOrThrow(yield* store.claimNext(1, lease, HOST)).id).toBe(c.id)
    }))

  test("a second attempt starts clean: attempt 2, no error, no window of the first", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      const one = Option.getOrThrow(yield* store.claimNext(1, lease, HOST))
      yield* store.setWorkspace({ id: task.id, attempt: 1 }, "/ws/TASK-0001", true)
      expect(yield* store.commitDispatch({ id: task.id, attempt: 1 }, window)).toBe(true)
      expect(yield* store.reconcile({ id: task.id, attempt: 1, windowId: "@7" }, "failed", "died", "exit 1")).toBe(true)
      yield* store.move(task.id, "retry", "ready", { actor: "human", reason: "retry" })
      const two = Option.getOrThrow(yield* store.claimNext(1, { pid: 5, start: "6" }, HOST))
      expect(one.attempt).toBe(1)
      expect(two).toMatchObject({
        attempt: 2,
        error: null,
        window_id: null,
        pane_pid: null,
        session_id: null,
        tmux_socket: null,
        tmux_session: null,
        started_at: null,
        workspace_fresh: false,
        lease_pid: 5,
        lease_start: "6",
        // The worktree is kept for a retry.
        workspace: "/ws/TASK-0001"
      })
    }))
})

describe("writes fenced on the attempt", () => {
  /** A ready task claimed `times` times (rolled back to ready in between): attempt = times. */
  const claimedTask = (times = 1) =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      for (let i = 1; i < times; i++) {
        yield* store.claimNext(1, lease, HOST)
        yield* store.rollback({ id: task.id, attempt: i }, "ready", "again", null)
      }
      const claimed = Option.getOrThrow(yield* store.claimNext(1, lease, HOST))
      expect(claimed.attempt).toBe(times)
      return claimed
    })

  test("rollback of a stale attempt changes nothing", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* claimedTask(2)
      const before = yield* snapshot(task.id)
      yield* TestClock.adjust("1 minute")
      for (const attempt of [0, 1, 3]) {
        expect(yield* store.rollback({ id: task.id, attempt }, "failed", "stale", "boom")).toBe(false)
        expect(yield* store.rollback({ id: task.id, attempt }, "ready", "stale", null)).toBe(false)
      }
      expect(yield* store.rollback({ id: "TASK-0404" as TaskId, attempt: 2 }, "ready", "nobody", null)).toBe(false)
      expect(yield* snapshot(task.id)).toEqual(before)
    }))

  test("rollback of the current attempt moves it back and records why", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* claimedTask()
      yield* TestClock.adjust("1 minute")
      expect(yield* store.rollback({ id: task.id, attempt: 1 }, "failed", "window: tmux failed", "no server")).toBe(true)
      const after = yield* store.get(task.id)
      expect(after).toMatchObject({ status: "failed", error: "no server", lease_pid: null, lease_start: null, attempt: 1 })
      expect((yield* rawEvents(task.id)).at(-1)).toMatchObject({
        from_status: "in-progress",
        to_status: "failed",
        actor: "dispatcher",
        reason: "window: tmux failed",
        attempt: 1,
        at: "1970-01-01T00:01:00.000Z"
      })
      // Once it has moved on, a second rollback of the same attempt is a no-op.
      const before = yield* snapshot(task.id)
      expect(yield* store.rollback({ id: task.id, attempt: 1 }, "ready", "twice", null)).toBe(false)
      expect(yield* snapshot(task.id)).toEqual(before)
    }))

  test("rollback does not undo what the agent already reported", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* claimedTask()
      yield* store.move(task.id, "report", "in-review", { actor: "agent", reason: "fast agent" })
      const before = yield* snapshot(task.id)
      expect(yield* store.rollback({ id: task.id, attempt: 1 }, "ready", "interrupted", null)).toBe(false)
      expect(yield* snapshot(task.id)).toEqual(before)
    }))

  test("commitDispatch of a stale attempt changes nothing", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* claimedTask(2)
      const before = yield* snapshot(task.id)
      yield* TestClock.adjust("1 minute")
      for (const attempt of [0, 1, 3]) expect(yield* store.commitDispatch({ id: task.id, attempt }, window)).toBe(false)
      expect(yield* snapshot(task.id)).toEqual(before)
    }))

  test("commitDispatch of the current attempt records the window and clears the lease", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* claimedTask()
      yield* TestClock.adjust("1 minute")
      expect(yield* store.commitDispatch({ id: task.id, attempt: 1 }, window)).toBe(true)
      expect(yield* store.get(task.id)).toMatchObject({
        status: "in-progress",
        window_id: "@7",
        pane_pid: 999,
        session_id: "sess-1",
        tmux_socket: "sock",
        tmux_session: "hub",
        started_at: "1970-01-01T00:01:00.000Z",
        lease_pid: null,
        lease_start: null
      })
      expect((yield* rawEvents(task.id)).at(-1)).toMatchObject({
        from_status: "in-progress",
        to_status: "in-progress",
        actor: "dispatcher",
        reason: "agent started"
      })
    }))

  test("commitDispatch accepts a task the same attempt already moved on, and keeps its status", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* claimedTask()
      yield* store.move(task.id, "report", "in-review", { actor: "agent", reason: "fast" })
      expect(yield* store.commitDispatch({ id: task.id, attempt: 1 }, window)).toBe(true)
      expect(yield* store.get(task.id)).toMatchObject({ status: "in-review", window_id: "@7" })
    }))

  test("commitDispatch after a rollback to ready changes nothing", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* claimedTask()
      yield* store.rollback({ id: task.id, attempt: 1 }, "ready", "interrupted", null)
      const before = yield* snapshot(task.id)
      yield* TestClock.adjust("1 minute")
      expect(yield* store.commitDispatch({ id: task.id, attempt: 1 }, window)).toBe(false)
      expect(yield* snapshot(task.id)).toEqual(before)
    }))

  test("reconcile is fenced on the attempt and on the window it saw", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* claimedTask(2)
      yield* store.commitDispatch({ id: task.id, attempt: 2 }, window)
      const before = yield* snapshot(task.id)
      yield* TestClock.adjust("1 minute")
      expect(yield* store.reconcile({ id: task.id, attempt: 1, windowId: "@7" }, "failed", "stale", "x")).toBe(false)
      expect(yield* store.reconcile({ id: task.id, attempt: 3, windowId: "@7" }, "failed", "stale", "x")).toBe(false)
      expect(yield* store.reconcile({ id: task.id, attempt: 2, windowId: "@8" }, "failed", "other window", "x")).toBe(false)
      expect(yield* store.reconcile({ id: task.id, attempt: 2, windowId: null }, "failed", "no window seen", "x")).toBe(false)
      expect(yield* snapshot(task.id)).toEqual(before)

      expect(yield* store.reconcile({ id: task.id, attempt: 2, windowId: "@7" }, "in-review", "agent exited 0", null)).toBe(true)
      expect(yield* store.get(task.id)).toMatchObject({ status: "in-review", error: null })
      expect((yield* rawEvents(task.id)).at(-1)).toMatchObject({
        from_status: "in-progress",
        to_status: "in-review",
        actor: "reconciler",
        reason: "agent exited 0",
        attempt: 2
      })
    }))

  test("reconcile of a claim that never got a window matches window null", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* claimedTask()
      expect(yield* store.reconcile({ id: task.id, attempt: 1, windowId: "@1" }, "ready", "x", null)).toBe(false)
      expect(yield* store.reconcile({ id: task.id, attempt: 1, windowId: null }, "failed", "dispatch died", "lease expired")).toBe(true)
      expect(yield* store.get(task.id)).toMatchObject({ status: "failed", error: "lease expired", lease_pid: null })
    }))

  test("reconcile leaves a task that is no longer in progress alone", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* claimedTask()
      yield* store.commitDispatch({ id: task.id, attempt: 1 }, window)
      yield* store.move(task.id, "report", "done", { actor: "agent", reason: "done" })
      const before = yield* snapshot(task.id)
      expect(yield* store.reconcile({ id: task.id, attempt: 1, windowId: "@7" }, "failed", "window gone", "x")).toBe(false)
      expect(yield* snapshot(task.id)).toEqual(before)
    }))

  test("setWorkspace is fenced on the attempt", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* claimedTask(2)
      yield* store.setWorkspace({ id: task.id, attempt: 1 }, "/stale", true)
      expect(yield* store.get(task.id)).toMatchObject({ workspace: null, workspace_fresh: false })
      yield* store.setWorkspace({ id: task.id, attempt: 2 }, "/ws", true)
      expect(yield* store.get(task.id)).toMatchObject({ workspace: "/ws", workspace_fresh: true })
    }))
})
})

// One database shared by the tests of this block, as a long-lived process would use it.
layer(FreshStore)("a shared store", (it) => {
  it.effect("creates and reads back", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* store.create({ title: "shared", kind: "debug", status: "ready", description: "d", repo: null, links: [] })
      expect((yield* store.get(task.id)).kind).toBe("debug")
    }))

  it.effect("sees what the previous test wrote", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      expect((yield* store.list()).map((t) => t.title)).toContain("shared")
    }))
})
