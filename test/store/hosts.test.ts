/**
 * The store's side of hosts (issue 12): the claim's cap per host, each host's own tasks, host
 * leases and the reclaim of a lost host's tasks, fenced on what it saw. On the TestClock, on
 * both layers of the store (SQLite and PostgreSQL: part of the TaskStore contract).
 */
import { SqlClient } from "@effect/sql"
import { describe, expect } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import { leaseCutoff } from "../../src/domain/hostLease.js"
import { TaskStore } from "../../src/store/TaskStore.js"
import { BACKENDS, countEvents, create, fileSandbox, rawEvents } from "./helpers.js"

const lease = { pid: 4242, start: "12345" }
const LEASE_MS = 120_000
const window = { windowId: "@7", panePid: 999, sessionId: "sess-1", tmuxSocket: "sock", tmuxSession: "hub" }

const claim = (host: string, cap = 10) =>
  Effect.flatMap(TaskStore, (store) => store.claimNext(cap, lease, host))

/** The cutoff a reconcile makes at the TestClock's now. */
const cutoffNow = Effect.map(TestClock.currentTimeMillis, (now) => leaseCutoff(now, LEASE_MS))

describe.each(BACKENDS)("%s", (backend) => {
const { test } = fileSandbox("hosts", backend)

describe("the claim, per host", () => {
  test("records the host and when it claimed; the cap counts only that host's in-progress tasks", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      for (let i = 0; i < 5; i++) yield* create({ title: `t${i}` })
      yield* TestClock.adjust("3 seconds")
      const a1 = Option.getOrThrow(yield* claim("alpha", 2))
      expect(a1).toMatchObject({ host: "alpha", claimed_at: "1970-01-01T00:00:03.000Z", status: "in-progress" })
      expect(Option.getOrThrow(yield* claim("alpha", 2)).host).toBe("alpha")
      // alpha is at its cap; beta is not, whatever alpha holds.
      expect(yield* claim("alpha", 2)).toEqual(Option.none())
      expect(Option.getOrThrow(yield* claim("beta", 2)).host).toBe("beta")
      expect(Option.getOrThrow(yield* claim("beta", 2)).host).toBe("beta")
      expect(yield* claim("beta", 2)).toEqual(Option.none())
      expect((yield* store.inProgressOn("alpha")).map((t) => t.id)).toEqual(["TASK-0001", "TASK-0002"])
      expect((yield* store.inProgressOn("beta")).map((t) => t.id)).toEqual(["TASK-0003", "TASK-0004"])
      expect((yield* store.inProgress).length).toBe(4)
      // A task of alpha that leaves in-progress frees one of alpha's slots, not beta's.
      yield* store.move(a1.id, "report", "blocked", { actor: "agent", reason: "stuck" })
      expect(yield* claim("beta", 2)).toEqual(Option.none())
      expect(Option.getOrThrow(yield* claim("alpha", 2)).id).toBe("TASK-0005")
    }))

  test("a task keeps the host of its latest attempt, and takes the next claimer's", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      expect((yield* store.get(task.id)).host).toBeNull()
      yield* claim("alpha")
      yield* store.rollback({ id: task.id, attempt: 1 }, "ready", "dispatch interrupted", null)
      expect((yield* store.get(task.id)).host).toBe("alpha")
      yield* TestClock.adjust("1 minute")
      expect(Option.getOrThrow(yield* claim("beta"))).toMatchObject({
        attempt: 2,
        host: "beta",
        claimed_at: "1970-01-01T00:01:00.000Z"
      })
    }))
})

describe("each host's own tasks", () => {
  test("withAgentsOn: in-progress, blocked and in-review tasks of that host only", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      for (let i = 0; i < 4; i++) yield* create()
      const a = Option.getOrThrow(yield* claim("alpha"))
      const b = Option.getOrThrow(yield* claim("alpha"))
      yield* claim("beta")
      const d = Option.getOrThrow(yield* claim("alpha"))
      yield* store.move(b.id, "report", "in-review", { actor: "agent", reason: "t" })
      yield* store.move(d.id, "report", "done", { actor: "agent", reason: "t" })
      expect((yield* store.withAgentsOn("alpha")).map((t) => t.id)).toEqual([a.id, b.id])
      expect((yield* store.withAgentsOn("beta")).map((t) => t.id)).toEqual(["TASK-0003"])
      expect(yield* store.withAgentsOn("gamma")).toEqual([])
    }))

  test("adoptUnhosted gives a host the agent-owning tasks recorded without one, and nothing else", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      // SQL under the store, for the state only an older version leaves.
      const sql = yield* SqlClient.SqlClient
      for (let i = 0; i < 4; i++) yield* create()
      yield* claim("x")
      yield* claim("x")
      yield* claim("beta")
      // As a claim of a version before hosts left them (and one never-claimed, ready task).
      yield* sql`UPDATE tasks SET host = NULL WHERE host = 'x'`
      const events = yield* countEvents
      expect(yield* store.adoptUnhosted("alpha")).toBe(2)
      expect((yield* store.list()).map((t) => [t.id, t.host])).toEqual([
        ["TASK-0001", "alpha"], ["TASK-0002", "alpha"], ["TASK-0003", "beta"], ["TASK-0004", null]
      ])
      // Bookkeeping, no status change: no event.
      expect(yield* countEvents).toBe(events)
      expect(yield* store.adoptUnhosted("beta")).toBe(0)
    }))
})

describe("host leases", () => {
  test("renewHost creates the lease, then moves it on; hostLeases lists them by name", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      yield* store.renewHost("beta")
      yield* TestClock.adjust("10 seconds")
      yield* store.renewHost("alpha")
      yield* TestClock.adjust("10 seconds")
      yield* store.renewHost("beta")
      expect(yield* store.hostLeases).toEqual([
        { name: "alpha", renewed_at: "1970-01-01T00:00:10.000Z" },
        { name: "beta", renewed_at: "1970-01-01T00:00:20.000Z" }
      ])
    }))

  test("inProgressElsewhere: other hosts' in-progress attempts, with their host's lease (null: none)", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      for (let i = 0; i < 4; i++) yield* create()
      yield* store.renewHost("alpha")
      yield* claim("alpha")
      yield* claim("beta")
      const done = Option.getOrThrow(yield* claim("beta"))
      yield* store.move(done.id, "report", "done", { actor: "agent", reason: "t" })
      yield* claim("gamma")
      expect(yield* store.inProgressElsewhere("alpha")).toEqual([
        { id: "TASK-0002", attempt: 1, host: "beta", claimed_at: "1970-01-01T00:00:00.000Z", renewed_at: null },
        { id: "TASK-0004", attempt: 1, host: "gamma", claimed_at: "1970-01-01T00:00:00.000Z", renewed_at: null }
      ])
      expect((yield* store.inProgressElsewhere("beta")).map((t) => [t.id, t.host, t.renewed_at])).toEqual([
        ["TASK-0001", "alpha", "1970-01-01T00:00:00.000Z"],
        ["TASK-0004", "gamma", null]
      ])
    }))
})

describe("reclaim: a lost host's task back to ready", () => {
  /** A task claimed and committed on `host` at t = 0, its host's lease renewed then. */
  const runningOn = (host: string) =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* create()
      yield* store.renewHost(host)
      const claimed = Option.getOrThrow(yield* claim(host))
      expect(yield* store.commitDispatch({ id: task.id, attempt: 1 }, window)).toBe(true)
      return claimed
    })

  test("once the host's lease and the claim are older than the lease: ready, one event by the reconciler naming the host", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* runningOn("alpha")
      const ref = { id: task.id, attempt: 1, host: "alpha" }
      // Exactly one lease old: still alpha's.
      yield* TestClock.adjust(LEASE_MS)
      expect(yield* store.reclaim(ref, yield* cutoffNow, "host alpha lost its lease")).toBe(false)
      yield* TestClock.adjust(1)
      expect(yield* store.reclaim(ref, yield* cutoffNow, "host alpha lost its lease")).toBe(true)
      const after = yield* store.get(task.id)
      expect(after).toMatchObject({ status: "ready", attempt: 1, host: "alpha", lease_pid: null, error: null })
      expect((yield* rawEvents(task.id)).at(-1)).toMatchObject({
        attempt: 1,
        from_status: "in-progress",
        to_status: "ready",
        actor: "reconciler",
        reason: "host alpha lost its lease"
      })
      // Once is enough: a second reclaim finds nothing to do.
      expect(yield* store.reclaim(ref, yield* cutoffNow, "again")).toBe(false)
    }))

  test("a host that renewed its lease since the cutoff keeps its task, whatever the caller saw", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* runningOn("alpha")
      yield* TestClock.adjust(LEASE_MS + 1)
      const cutoff = yield* cutoffNow
      yield* store.renewHost("alpha")
      const events = yield* countEvents
      expect(yield* store.reclaim({ id: task.id, attempt: 1, host: "alpha" }, cutoff, "lost")).toBe(false)
      expect((yield* store.get(task.id)).status).toBe("in-progress")
      expect(yield* countEvents).toBe(events)
    }))

  test("a host that never renewed a lease counts from the claim", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      yield* create()
      yield* TestClock.adjust("1 hour")
      const task = Option.getOrThrow(yield* claim("nodaemon"))
      const ref = { id: task.id, attempt: 1, host: "nodaemon" }
      yield* TestClock.adjust(LEASE_MS)
      expect(yield* store.reclaim(ref, yield* cutoffNow, "lost")).toBe(false)
      yield* TestClock.adjust(1)
      expect(yield* store.reclaim(ref, yield* cutoffNow, "lost")).toBe(true)
    }))

  test("fenced on the attempt, the host and the status it saw", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* runningOn("alpha")
      yield* TestClock.adjust(LEASE_MS + 1)
      const cutoff = yield* cutoffNow
      const events = yield* countEvents
      expect(yield* store.reclaim({ id: task.id, attempt: 2, host: "alpha" }, cutoff, "lost")).toBe(false)
      expect(yield* store.reclaim({ id: task.id, attempt: 1, host: "beta" }, cutoff, "lost")).toBe(false)
      yield* store.move(task.id, "report", "blocked", { actor: "agent", reason: "stuck" })
      expect(yield* store.reclaim({ id: task.id, attempt: 1, host: "alpha" }, cutoff, "lost")).toBe(false)
      expect((yield* store.get(task.id)).status).toBe("blocked")
      expect(yield* countEvents).toBe(events + 1)
    }))

  test("the old attempt's writes change nothing after a reclaim; the next claim is a new attempt", () =>
    Effect.gen(function* () {
      const store = yield* TaskStore
      const task = yield* runningOn("alpha")
      yield* TestClock.adjust(LEASE_MS + 1)
      expect(yield* store.reclaim({ id: task.id, attempt: 1, host: "alpha" }, yield* cutoffNow, "lost")).toBe(true)
      const ref = { id: task.id, attempt: 1 }
      const before = { task: yield* store.get(task.id), events: yield* countEvents }
      expect(yield* store.commitDispatch(ref, window)).toBe(false)
      expect(yield* store.rollback(ref, "failed", "late", "late")).toBe(false)
      expect(yield* store.recordStart(ref, { sessionId: "sess-1", window: null }, "late start")).toBe(false)
      expect(yield* store.reconcile({ ...ref, windowId: "@7" }, "failed", "late", "late")).toBe(false)
      expect(yield* store.observe(ref, { state: "busy", since: "x", reason: "late", activeAt: "x" }, 3)).toBe(false)
      expect({ task: yield* store.get(task.id), events: yield* countEvents }).toEqual(before)
      const again = Option.getOrThrow(yield* claim("beta"))
      expect(again).toMatchObject({ attempt: 2, host: "beta" })
      // Still fenced once the task runs again elsewhere.
      expect(yield* store.commitDispatch(ref, window)).toBe(false)
      expect(yield* store.move(task.id, "report", "done", { actor: "agent", reason: "late" }, { attempt: 1 }).pipe(Effect.flip))
        .toMatchObject({ _tag: "InvalidTransition", message: expect.stringContaining("attempt 1 is no longer current") })
      expect((yield* store.get(task.id)).status).toBe("in-progress")
    }))
})
})
