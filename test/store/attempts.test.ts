import { SqlClient } from "@effect/sql"
import { describe, expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { TaskId } from "../../src/domain/TaskId.js"
import { TaskStore } from "../../src/store/TaskStore.js"
import { create, fileSandbox } from "./helpers.js"

const { test } = fileSandbox("attempts")

const u = (input_tokens: number, output_tokens: number, cache_read_input_tokens = 0, cache_creation_input_tokens = 0) =>
  ({ input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens })

/** A task claimed and started (attempt `n` times), as dispatch leaves it. */
const started = (times = 1) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const task = yield* create()
    for (let attempt = 1; attempt <= times; attempt++) {
      if (attempt > 1) {
        yield* store.reconcile({ id: task.id, attempt: attempt - 1, windowId: "@1" }, "failed", "agent exited with status 1", "x")
        yield* store.move(task.id, "retry", "ready", { actor: "human", reason: "retry" })
      }
      yield* store.claimNext(1, { pid: 1, start: "1" }, "here")
      yield* store.commitDispatch({ id: task.id, attempt }, { windowId: "@1", panePid: 1, sessionId: "s", tmuxSocket: null, tmuxSession: "hub" })
    }
    return task.id
  })

const usageOf = (id: TaskId) => Effect.flatMap(TaskStore, (store) => Effect.map(store.get(id), (t) => t.usage))

describe("token usage per attempt and per task", () => {
  test("a recorded start opens the attempt's row; counted calls add up on the attempt and on the task", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const id = yield* started()
      const open = yield* store.openAttempts("here")
      expect(open.map((a) => [a.task_id, a.attempt, a.transcript_read, a.status])).toEqual([[id, 1, 0, "in-progress"]])
      expect(yield* store.countUsage({ id, attempt: 1 }, { from: 0, to: 100 }, [
        { id: "msg_1", usage: u(10, 5, 100, 20) },
        { id: "msg_2", usage: u(3, 7) }
      ])).toBe(true)
      expect(yield* usageOf(id)).toEqual(u(13, 12, 100, 20))
      expect((yield* store.attemptUsage(id)).map((a) => [a.attempt, a.input_tokens, a.output_tokens])).toEqual([[1, 13, 12]])
      // The task's JSON carries it, and no event was written for it.
      const events = yield* store.events(id)
      expect(events.map((e) => e.to)).toEqual(["ready", "in-progress", "in-progress"])
    }))

  test("the same stretch read twice (two processes at once) is counted once; a message seen again counts only what grew", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const id = yield* started()
      const calls = [{ id: "msg_1", usage: u(10, 1) }]
      expect(yield* store.countUsage({ id, attempt: 1 }, { from: 0, to: 50 }, calls)).toBe(true)
      expect(yield* store.countUsage({ id, attempt: 1 }, { from: 0, to: 50 }, calls)).toBe(false)
      expect(yield* usageOf(id)).toEqual(u(10, 1))
      // The rest of msg_1's stream, in the next read: its final counts replace the partial ones.
      expect(yield* store.countUsage({ id, attempt: 1 }, { from: 50, to: 90 }, [{ id: "msg_1", usage: u(10, 9) }])).toBe(true)
      expect(yield* usageOf(id)).toEqual(u(10, 9))
      // Smaller counts never take any back.
      expect(yield* store.countUsage({ id, attempt: 1 }, { from: 90, to: 95 }, [{ id: "msg_1", usage: u(10, 2) }])).toBe(true)
      expect(yield* usageOf(id)).toEqual(u(10, 9))
    }))

  test("a resumed attempt re-reading its predecessor's transcript counts only its own new calls", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const id = yield* started(2)
      yield* store.countUsage({ id, attempt: 1 }, { from: 0, to: 10 }, [{ id: "msg_1", usage: u(10, 5) }])
      yield* store.countUsage({ id, attempt: 2 }, { from: 0, to: 20 }, [{ id: "msg_1", usage: u(10, 5) }, { id: "msg_2", usage: u(1, 2) }])
      expect(yield* usageOf(id)).toEqual(u(11, 7))
      expect((yield* store.attemptUsage(id)).map((a) => [a.attempt, a.input_tokens, a.output_tokens])).toEqual([[1, 10, 5], [2, 1, 2]])
    }))

  test("the agent's session: recorded once per stretch of signals; a new transcript is read from its start", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const id = yield* started()
      const ref = { id, attempt: 1 }
      expect(yield* store.recordAgentSession(ref, { sessionId: "abc", transcriptPath: "/t/1.jsonl" }, { from: 0, to: 40 })).toBe(true)
      expect(yield* store.recordAgentSession(ref, { sessionId: "abc", transcriptPath: "/t/1.jsonl" }, { from: 0, to: 40 })).toBe(false)
      yield* store.countUsage(ref, { from: 0, to: 300 }, [])
      expect(yield* store.recordAgentSession(ref, { sessionId: null, transcriptPath: "/t/2.jsonl" }, { from: 40, to: 80 })).toBe(true)
      const [row] = yield* store.openAttempts("here")
      expect(row).toMatchObject({ agent_session_id: "abc", transcript_path: "/t/2.jsonl", transcript_read: 0, signals_read: 80 })
      // Another host's reconcile does not follow this host's agents.
      expect(yield* store.openAttempts("elsewhere")).toEqual([])
      yield* store.closeAttempt(ref)
      expect(yield* store.openAttempts("here")).toEqual([])
    }))
})

describe("resumable conversations", () => {
  test("a later attempt finds the latest earlier session; retry --fresh forgets them all", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const id = yield* started(2)
      expect(yield* store.resumable(id, 2)).toEqual(Option.none())
      yield* store.recordAgentSession({ id, attempt: 1 }, { sessionId: "one", transcriptPath: "/t/one.jsonl" }, { from: 0, to: 1 })
      expect(yield* store.resumable(id, 2)).toEqual(Option.some({ attempt: 1, sessionId: "one", transcriptPath: "/t/one.jsonl" }))
      yield* store.recordAgentSession({ id, attempt: 2 }, { sessionId: "one", transcriptPath: "/t/one.jsonl" }, { from: 0, to: 1 })
      expect(yield* store.resumable(id, 3)).toEqual(Option.some({ attempt: 2, sessionId: "one", transcriptPath: "/t/one.jsonl" }))
      yield* store.recordResume({ id, attempt: 2 }, 1)
      expect((yield* store.attemptUsage(id)).map((a) => a.resumed_from)).toEqual([null, 1])
      yield* store.forgetConversations(id)
      expect(yield* store.resumable(id, 3)).toEqual(Option.none())
    }))
})

describe("the notifier's claim on the history", () => {
  test("each event is claimed once, only the statuses asked for, none from before the migration", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const sql = yield* SqlClient.SqlClient
      const id = yield* started()
      // Nothing from before: the cursor started at the events that existed when migration 5 ran.
      yield* sql`UPDATE notify_cursor SET prev_event = 0, last_event = (SELECT MAX(id) FROM events)`
      expect(yield* store.claimNotifications(["done", "blocked"])).toEqual([])
      yield* store.move(id, "report", "blocked", { actor: "agent", reason: "need a key" })
      yield* store.move(id, "report", "done", { actor: "agent", reason: "reported done" })
      const claimed = yield* store.claimNotifications(["done", "blocked"])
      expect(claimed.map((e) => [e.task_id, e.to_status, e.reason, e.title])).toEqual([
        [id, "blocked", "need a key", "a task"],
        [id, "done", "reported done", "a task"]
      ])
      expect(yield* store.claimNotifications(["done", "blocked"])).toEqual([])
    }))
})
