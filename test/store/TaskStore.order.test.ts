/**
 * Order among tasks (issue 13), on a real SQLite file: the priority and the dependencies a task
 * is created with, the order the claim takes ready tasks in, a dependency that is not done
 * keeping its dependent unclaimed (failed and cancelled ones too), what `unmetDependencies`
 * reports, and `edit` of a task not yet started.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import type { TaskPriority } from "../../src/domain/Task.js"
import type { TaskId } from "../../src/domain/TaskId.js"
import { TaskStore } from "../../src/store/TaskStore.js"
import { BACKENDS, countEvents, create, createIn, fileSandbox, HOST, rawEvents } from "./helpers.js"

const lease = { pid: 4242, start: "12345" }

/** The ids claimNext takes, one after the other, until it takes none (cap: no limit). */
const claimAll = Effect.gen(function* () {
  const store = yield* TaskStore
  const ids: Array<string> = []
  for (;;) {
    const claimed = yield* store.claimNext(1_000, lease, HOST)
    if (Option.isNone(claimed)) return ids
    ids.push(claimed.value.id)
  }
})

const claimOne = Effect.flatMap(TaskStore, (store) => store.claimNext(1_000, lease, HOST)).pipe(
  Effect.map(Option.map((task) => task.id))
)

const counts = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ readonly tasks: number; readonly deps: number }>`
    SELECT (SELECT CAST(count(*) AS INTEGER) FROM tasks) AS tasks, (SELECT CAST(count(*) AS INTEGER) FROM task_deps) AS deps`.pipe(Effect.map((rows) => rows[0]!)))

/** On both layers of the store (SQLite and PostgreSQL): part of the TaskStore contract. */
describe.each(BACKENDS)("%s", (backend) => {
const { test } = fileSandbox("store-order", backend)

describe("TaskStore.create: priority and dependencies", () => {
  test("a task is normal and waits for nothing unless told", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      expect(task).toMatchObject({ priority: "normal", after: [] })
      expect(yield* store.get(task.id)).toMatchObject({ priority: "normal", after: [] })
    }))

  test("keeps the priority and the dependencies (ids once each, in the order given)", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const a = yield* create({ title: "a" })
      const b = yield* create({ title: "b" })
      const c = yield* create({ title: "c", priority: "high", after: [b.id, a.id, b.id] })
      expect(c).toMatchObject({ priority: "high", after: [b.id, a.id] })
      expect(yield* store.get(c.id)).toEqual(c)
      expect((yield* store.list()).map((t) => [t.id, t.priority, t.after])).toEqual([
        [a.id, "normal", []],
        [b.id, "normal", []],
        [c.id, "high", [b.id, a.id]]
      ])
      expect(yield* counts).toEqual({ tasks: 3, deps: 2 })
    }))

  test("an unknown dependency is refused and nothing is created: no task, no event, no id used", () =>
    Effect.gen(function* () {
      const a = yield* create({ title: "a" })
      const before = { ...(yield* counts), events: yield* countEvents }
      const error = yield* Effect.flip(create({ title: "b", after: [a.id, "TASK-0099" as TaskId] }))
      expect(error).toMatchObject({ _tag: "TaskNotFound", taskId: "TASK-0099", message: "cannot wait for TASK-0099: no such task" })
      expect({ ...(yield* counts), events: yield* countEvents }).toEqual(before)
      expect((yield* create({ title: "c" })).id).toBe("TASK-0002")
    }))

  test("dependencies are fixed: the database refuses changing or removing them", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const a = yield* create()
      const b = yield* create({ after: [a.id] })
      for (const statement of [
        sql`UPDATE task_deps SET dep_seq = 2`,
        sql`DELETE FROM task_deps`,
        sql`UPDATE tasks SET "after" = '[]' WHERE id = ${b.id}`
      ]) {
        const error = yield* Effect.flip(statement)
        expect(String(error.cause)).toContain("dependencies are fixed when a task is created")
      }
      expect((yield* (yield* TaskStore).get(b.id)).after).toEqual([a.id])
      expect(yield* counts).toEqual({ tasks: 2, deps: 1 })
    }))
})

describe("TaskStore.claimNext: priority, then age", () => {
  test("high before normal before low, each the oldest first", () =>
    Effect.gen(function* () {
      const made: Array<readonly [TaskPriority, string]> = []
      for (const priority of ["low", "normal", "high", "normal", "low", "high"] as const) {
        made.push([priority, (yield* create({ priority })).id])
      }
      const expected = (["high", "normal", "low"] as const).flatMap((p) => made.filter(([q]) => q === p).map(([, id]) => id))
      expect(yield* claimAll).toEqual(expected)
      expect(expected).toEqual(["TASK-0003", "TASK-0006", "TASK-0002", "TASK-0004", "TASK-0001", "TASK-0005"])
    }))

  test("the cap still holds whatever the priority", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      yield* create()
      yield* create({ priority: "high" })
      expect(Option.map(yield* store.claimNext(1, lease, HOST), (t) => t.id)).toEqual(Option.some("TASK-0002"))
      expect(yield* store.claimNext(1, lease, HOST)).toEqual(Option.none())
    }))
})

describe("TaskStore.claimNext: dependencies", () => {
  test("a dependent is not claimed until its dependency is done, then it is", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const a = yield* create({ title: "a" })
      const b = yield* create({ title: "b", after: [a.id], priority: "high" })
      // b is first in priority but waits: a is taken.
      expect(yield* claimOne).toEqual(Option.some(a.id))
      // In progress, blocked, in review: b still waits, and a claim changes nothing.
      for (const [move, to] of [["report", "blocked"], ["report", "in-review"]] as const) {
        const events = yield* countEvents
        expect(yield* claimOne).toEqual(Option.none())
        expect(yield* countEvents).toBe(events)
        yield* store.move(a.id, move, to, { actor: "agent", reason: "test" })
      }
      expect(yield* claimOne).toEqual(Option.none())
      yield* store.move(a.id, "report", "done", { actor: "agent", reason: "test" })
      expect(yield* claimOne).toEqual(Option.some(b.id))
      expect((yield* store.get(b.id)).status).toBe("in-progress")
    }))

  test("every dependency must be done, not just one", () =>
    Effect.gen(function* () {
      const a = yield* createIn("done")
      const b = yield* createIn("in-review")
      const c = yield* create({ after: [a, b] })
      expect(yield* claimOne).toEqual(Option.none())
      yield* Effect.flatMap(TaskStore, (store) => store.move(b, "report", "done", { actor: "agent", reason: "t" }))
      expect(yield* claimOne).toEqual(Option.some(c.id))
    }))

  for (const status of ["failed", "cancelled", "backlog", "ready"] as const) {
    test(`a ${status} dependency keeps its dependent unclaimed`, () =>
      Effect.gen(function* () {
        const dep = yield* createIn(status)
        const dependent = yield* create({ title: "dependent", after: [dep] })
        const claimed = yield* claimAll
        expect(claimed).not.toContain(dependent.id)
        expect((yield* (yield* TaskStore).get(dependent.id)).status).toBe("ready")
      }))
  }

  test("the claim passes over waiting tasks to the next one in order", () =>
    Effect.gen(function* () {
      const blocker = yield* createIn("in-progress")
      const waiting = [yield* create({ priority: "high", after: [blocker] }), yield* create({ priority: "high", after: [blocker] })]
      const free = yield* create({ priority: "low" })
      expect(yield* claimAll).toEqual([free.id])
      expect((yield* (yield* TaskStore).list({ statuses: ["ready"] })).map((t) => t.id)).toEqual(waiting.map((t) => t.id))
    }))

  test("a retried dependency that ends done releases its dependent", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const dep = yield* createIn("failed")
      const dependent = yield* create({ after: [dep] })
      expect(yield* claimOne).toEqual(Option.none())
      yield* store.move(dep, "retry", "ready", { actor: "human", reason: "retry" })
      expect(yield* claimOne).toEqual(Option.some(dep))
      yield* store.move(dep, "report", "done", { actor: "agent", reason: "t" })
      expect(yield* claimOne).toEqual(Option.some(dependent.id))
    }))
})

describe("TaskStore.unmetDependencies", () => {
  test("names, per task not yet started, the dependencies not done with their status, in id order", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const done = yield* createIn("done")
      const failed = yield* createIn("failed")
      const running = yield* createIn("in-progress")
      const cancelled = yield* createIn("cancelled")
      const waits = yield* create({ title: "waits", after: [running, done, failed] })
      const backlogged = yield* create({ title: "backlogged", status: "backlog", after: [cancelled] })
      const free = yield* create({ title: "free", after: [done] })
      const unmet = yield* store.unmetDependencies()
      expect([...unmet.entries()]).toEqual([
        [waits.id, [{ id: failed, status: "failed" }, { id: running, status: "in-progress" }]],
        [backlogged.id, [{ id: cancelled, status: "cancelled" }]]
      ])
      expect(unmet.has(free.id)).toBe(false)
      expect([...(yield* store.unmetDependencies(backlogged.id)).entries()]).toEqual([
        [backlogged.id, [{ id: cancelled, status: "cancelled" }]]
      ])
      expect((yield* store.unmetDependencies(free.id)).size).toBe(0)
    }))

  test("listSummaries carries them; a task no longer waiting carries none", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const dep = yield* createIn("in-review")
      const dependent = yield* create({ after: [dep], priority: "low" })
      const row = (yield* store.listSummaries()).find((t) => t.id === dependent.id)
      expect(row).toEqual({
        id: dependent.id,
        status: "ready",
        priority: "low",
        kind: "implement",
        repo: null,
        title: "a task",
        waiting: [{ id: dep, status: "in-review" }]
      })
      yield* store.move(dep, "report", "done", { actor: "agent", reason: "t" })
      expect((yield* store.listSummaries()).find((t) => t.id === dependent.id)?.waiting).toEqual([])
    }))
})

describe("TaskStore.edit", () => {
  for (const status of ["backlog", "ready"] as const) {
    test(`changes the title, description and priority of a ${status} task, with no event and no new revision`, () =>
      Effect.gen(function* () {
        const store = yield* TaskStore
        const id = yield* createIn(status)
        const before = yield* store.get(id)
        const events = yield* rawEvents(id)
        yield* TestClock.adjust("1 minute")
        const edited = yield* store.edit(id, { title: "new title", description: "new words", priority: "high" })
        // Everything else as it was, the revision too (edits are not status changes).
        const expected = {
          ...before,
          title: "new title",
          description: "new words",
          priority: "high",
          updated_at: "1970-01-01T00:01:00.000Z"
        }
        expect(edited).toEqual(expected)
        expect(yield* store.get(id)).toEqual(expected)
        expect(yield* rawEvents(id)).toEqual(events)
      }))
  }

  test("changes only what it is given", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create({ title: "keep", description: "keep too", priority: "low" })
      expect(yield* store.edit(task.id, { priority: "normal" })).toMatchObject({ title: "keep", description: "keep too", priority: "normal" })
      expect(yield* store.edit(task.id, { description: "" })).toMatchObject({ title: "keep", description: "", priority: "normal" })
      expect(yield* store.edit(task.id, { title: "t2" })).toMatchObject({ title: "t2", description: "", priority: "normal" })
    }))

  test("a new priority changes the claim order", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const first = yield* create()
      const second = yield* create()
      yield* store.edit(second.id, { priority: "high" })
      yield* store.edit(first.id, { priority: "low" })
      expect(yield* claimAll).toEqual([second.id, first.id])
    }))

  for (const status of ["in-progress", "blocked", "in-review", "done", "failed", "cancelled"] as const) {
    test(`refuses a ${status} task and changes nothing`, () =>
      Effect.gen(function* () {
        const store = yield* TaskStore
        const id = yield* createIn(status)
        const before = yield* store.get(id)
        const events = yield* countEvents
        yield* TestClock.adjust("1 minute")
        const error = yield* Effect.flip(store.edit(id, { title: "nope", priority: "high" }))
        expect(error).toMatchObject({
          _tag: "NotEditable",
          taskId: id,
          status,
          message: `${id} is ${status}: only a task not yet started (backlog or ready) can be edited`
        })
        expect(yield* store.get(id)).toEqual(before)
        expect(yield* countEvents).toBe(events)
      }))
  }

  test("an unknown task is TaskNotFound", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Effect.flatMap(TaskStore, (store) => store.edit("TASK-0042" as TaskId, { title: "x" })))
      expect(error._tag).toBe("TaskNotFound")
    }))
})
})
