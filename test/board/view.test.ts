import { describe, expect, it } from "@effect/vitest"
import { actionsFor, cardOf, detailOf } from "../../src/board/view.js"
import type { StoredTask } from "../../src/store/TaskStore.js"
import { aTask } from "../support/tasks.js"

describe("the board's buttons", () => {
  it("are the transition table's moves for a person, status by status", () => {
    expect(Object.fromEntries(["backlog", "ready", "in-progress", "blocked", "in-review", "done", "failed", "cancelled"].map((s) =>
      [s, actionsFor(s as never)]))).toEqual({
      backlog: ["ready", "cancel"],
      ready: ["cancel"],
      "in-progress": ["cancel"],
      blocked: ["ready", "cancel"],
      "in-review": ["ready", "cancel"],
      done: [],
      failed: ["cancel", "retry"],
      cancelled: []
    })
  })
})

describe("what the page is sent", () => {
  const stored = (extra: object = {}) =>
    ({ ...aTask({ status: "failed" }), rev: 3, change_actor: "human", agent_active_at: null, agent_signals_read: 0, ...extra }) as StoredTask

  it("a card: the fields the columns show, a priority only when the store keeps one, the table's buttons", () => {
    // The store keeps one since issue 13 (high, normal, low; normal by default).
    expect(cardOf(stored())).toEqual({
      id: "TASK-0007", title: "t", kind: "implement", status: "failed", repo: null, priority: "normal",
      agent_state: null, agent_state_at: null, updated_at: aTask().updated_at, actions: ["cancel", "retry"]
    })
    expect(cardOf(stored({ priority: 2 })).priority).toBe(2)
    expect(cardOf(stored({ priority: "high" })).priority).toBe("high")
    expect(cardOf(stored({ priority: { weird: true } })).priority).toBeNull()
    expect(cardOf(stored({ priority: undefined })).priority).toBeNull()
  })

  it("the detail: the task as --json shows it, without the store's bookkeeping", () => {
    const { task } = detailOf(stored(), [])
    expect(Object.keys(task)).not.toContain("rev")
    expect(Object.keys(task)).not.toContain("agent_signals_read")
    expect(task).toMatchObject({ id: "TASK-0007", status: "failed", priority: "normal", after: [] })
  })
})
