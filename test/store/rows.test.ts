import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import type { TaskId } from "../../src/domain/TaskId.js"
import { EventRow, TaskRow } from "../../src/store/rows.js"
import { TaskStore } from "../../src/store/TaskStore.js"
import { create, fileSandbox, rawEvents, HOST } from "./helpers.js"

const { freshStore, test } = fileSandbox("rows")

/** Every read of the store that decodes task rows, each expected to refuse the broken one. */
const everyRead = (id: TaskId) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    return [
      yield* Effect.flip(store.get(id)),
      yield* Effect.flip(store.list()),
      yield* Effect.flip(store.list({ all: true })),
      yield* Effect.flip(store.comment(id, "human", "still there?"))
    ]
  })

describe("rows are decoded at the store's edge", () => {
  test("a task reads back exactly as it was created and moved: JSON columns parsed, the bit a boolean", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create({ links: ["https://example.com/a"] })
      yield* store.comment(task.id, "agent", "on it")
      const claimed = yield* store.claimNext(1, { pid: 1, start: "1" }, HOST)
      expect(Option.isSome(claimed)).toBe(true)
      yield* store.setWorkspace({ id: task.id, attempt: 1 }, "/tmp/w", true)
      const read = yield* store.get(task.id)
      expect(read).toMatchObject({
        links: ["https://example.com/a"],
        comments: [{ author: "agent", text: "on it", at: expect.any(String) }],
        workspace_fresh: true,
        status: "in-progress",
        usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
        rev: 1
      })
      // The same keys, in the same order, as the task's JSON has always had, the agent's state
      // after them (issue 10), the tokens its agents used (issue 13), the host (issue 12), the priority and dependencies (issue 13), then the store's bookkeeping.
      expect(Object.keys(read)).toEqual([...Object.keys(TaskRow.fields)])
      expect(Object.keys(read).slice(0, -5)).toEqual([
        "id", "title", "kind", "status", "description", "repo", "links", "comments", "attempt", "session_id",
        "error", "window_id", "pane_pid", "tmux_socket", "tmux_session", "workspace", "workspace_fresh",
        "lease_pid", "lease_start", "started_at", "created_at", "updated_at",
        "agent_state", "agent_state_at", "agent_state_reason", "usage", "host", "priority", "after"
      ])
      expect(Object.keys(read).slice(-5)).toEqual(["rev", "change_actor", "agent_active_at", "agent_signals_read", "claimed_at"])
      expect(read).toMatchObject({ host: HOST, claimed_at: expect.any(String) })
      expect(yield* store.list()).toEqual([read])
      expect(yield* store.inProgress).toEqual([read])
    }))

  it.effect.each([
    ["links that are not JSON", "links = 'not json'", "links", `"not json" is not valid JSON`],
    ["a link that is not a string", "links = '[1]'", "links.0", "Expected string, actual 1"],
    ["a comment by an unknown author", `comments = '[{"author":"robot","text":"x","at":"t"}]'`, "comments.0.author", `Expected "human" | "agent", actual "robot"`],
    ["workspace_fresh neither 0 nor 1", "workspace_fresh = 2", "workspace_fresh", "Expected 0 | 1, actual 2"],
    ["an id that is not canonical", "id = 'TASK-7'", "id", `Expected a string matching the pattern ^TASK-\\d{4,}$, actual "TASK-7"`]
  ] as const)("a row with %s is a StoreError of one line naming the row and the column", ([_, set, column, what]) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* create({ title: "fine" })
      const broken = yield* create({ title: "broken" })
      yield* sql.unsafe(`UPDATE tasks SET ${set} WHERE id = '${broken.id}'`)
      const id = set.startsWith("id =") ? ("TASK-7" as TaskId) : broken.id
      const errors = set.startsWith("id =")
        ? yield* Effect.flip((yield* TaskStore).list({ all: true })).pipe(Effect.map((e) => [e]))
        : yield* everyRead(id)
      for (const error of errors) {
        expect(error._tag).toBe("StoreError")
        expect(error.message.split("\n")).toHaveLength(1)
        expect(error.message).toContain(`database: a row of tasks does not decode (${id}, ${column}): `)
        expect(error.message).toContain(what)
      }
    }).pipe(Effect.provide(freshStore)))

  test("the other tasks are unaffected: a read that does not include the broken row succeeds", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const store = yield* TaskStore
      const fine = yield* create({ title: "fine" })
      const broken = yield* create({ title: "broken" })
      yield* sql`UPDATE tasks SET links = 'not json' WHERE id = ${broken.id}`
      expect((yield* store.get(fine.id)).title).toBe("fine")
    }))

  test("an event row that does not decode is a StoreError naming the events table and the column", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const store = yield* TaskStore
      const task = yield* create()
      yield* sql`INSERT INTO events (task_id, attempt, from_status, to_status, actor, reason, at)
                 VALUES (${task.id}, 0, 'open', 'ready', 'human', 'by hand', 't')`
      const error = yield* Effect.flip(store.events(task.id))
      expect(error._tag).toBe("StoreError")
      expect(error.message.split("\n")).toHaveLength(1)
      expect(error.message).toMatch(/^database: a row of events does not decode \(\d+, from_status\): Expected "backlog" \| .* \| null, actual "open"$/)
    }))

  test("events keep their JSON form: from and to, read from from_status and to_status", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      const [raw] = yield* rawEvents(task.id)
      expect(yield* store.events(task.id)).toEqual([
        { id: raw!.id, task_id: task.id, attempt: 0, from: null, to: "ready", actor: "human", reason: "created", at: task.created_at }
      ])
      expect(Object.keys(Schema.decodeUnknownSync(EventRow)(raw))).toEqual(["id", "task_id", "attempt", "from", "to", "actor", "reason", "at"])
    }))
})
