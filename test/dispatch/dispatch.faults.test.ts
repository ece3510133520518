import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, FiberId, Layer, Option } from "effect"
import { dispatchNext } from "../../src/dispatch/dispatch.js"
import { TaskStore } from "../../src/store/TaskStore.js"
import { StoreError } from "../../src/domain/errors.js"
import { TaskId } from "../../src/domain/TaskId.js"
import { fakeAgent, fakeHost, type Fault, type FaultMode, type FaultStep, faultyStore, recordingTerminal, recordingWorkspace } from "../support/fakes.js"
import { makeTaskStore } from "../../src/store/TaskStore.js"
import { SqlLive } from "../../src/store/Sql.js"
import { sandboxConfig } from "../support/layers.js"
import { changeStatus } from "../../src/dispatch/taskActions.js"
import { sessionIdFor } from "../../src/agent/session.js"
import type { Pane } from "../../src/terminal/Terminal.js"
import { makeSandbox } from "../support/sandbox.js"
import * as path from "node:path"
import { Readable } from "node:stream"
import { AgentLive } from "../../src/agent/Agent.js"
import { runHook } from "../../src/agent/hook.js"
import { observeAgent } from "../../src/dispatch/agentState.js"
import { HOST } from "../store/helpers.js"
import { HubConfigFrom } from "../../src/config.js"

const STEPS: ReadonlyArray<FaultStep> = ["claim", "worktree", "trust", "window", "commit"]
const MODES: ReadonlyArray<FaultMode> = ["failure", "defect", "interruption"]

/** What each step creates, in order; an undo must remove exactly what exists at the fault. */
const created = (step: FaultStep): Array<string> => {
  const order: Array<string> = []
  if (step === "claim") return order
  order.push("create worktree TASK-0001")
  if (step === "worktree" || step === "trust") return order
  // A first attempt has no stale window of its name to kill first.
  order.push("open window TASK-0001")
  return order
}

const undone = (step: FaultStep): Array<string> => {
  if (step === "claim") return []
  if (step === "worktree" || step === "trust") return ["remove worktree TASK-0001"]
  // A window that failed to open is looked up by name; an opened one is killed by id.
  return [step === "window" ? "kill windows named TASK-0001" : "kill window @1", "remove worktree TASK-0001"]
}

/**
 * Interrupts `fiber` while it is held inside a step: once it has entered, the interruption
 * is sent first and the gate opened after, so the interruption has landed whatever the step
 * does next (an interruptible one is cut short, an uninterruptible one finishes first).
 */
const interruptInside = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, entered: Deferred.Deferred<void>, gate: Deferred.Deferred<void>) =>
  Effect.gen(function* () {
    yield* Deferred.await(entered)
    yield* Fiber.interruptAsFork(fiber, FiberId.none)
    yield* Deferred.succeed(gate, undefined)
  })

const runCase = (step: FaultStep, mode: FaultMode) =>
  Effect.gen(function* () {
    const sandbox = makeSandbox("faults")
    yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
    const log: Array<string> = []
    const entered = yield* Deferred.make<void>()
    const gate = yield* Deferred.make<void>()
    const fault: Fault = { step, mode, entered, gate }
    const config = sandboxConfig(sandbox)
    const services = Layer.mergeAll(
      faultyStore(fault),
      recordingWorkspace(log, fault),
      recordingTerminal(log, fault),
      fakeAgent(fault),
      fakeHost
    ).pipe(Layer.provideMerge(config))

    return yield* Effect.gen(function* () {
      const store = yield* TaskStore
      yield* store.create({ title: "t", kind: "implement", status: "ready", description: "", repo: "acme/widget", links: [] })
      const fiber = yield* Effect.fork(dispatchNext())
      if (mode === "interruption") yield* interruptInside(fiber, entered, gate)
      const exit = yield* Fiber.await(fiber)
      const task = yield* store.get(TaskId.make("TASK-0001"))
      const events = yield* store.events(TaskId.make("TASK-0001"))
      return { exit, task, events, log }
    }).pipe(Effect.provide(services))
  })

describe("dispatch fault matrix: every step × failure, defect, interruption", () => {
  for (const step of STEPS) {
    for (const mode of MODES) {
      it.scopedLive(`${step} × ${mode}`, () =>
        Effect.gen(function* () {
          const { events, exit, log, task } = yield* runCase(step, mode)
          const last = events[events.length - 1]!

          if (step === "claim" && mode !== "interruption") {
            // Nothing was claimed: the task is untouched, no event beyond its creation.
            expect(Exit.isFailure(exit)).toBe(true)
            expect(task.status).toBe("ready")
            expect(task.attempt).toBe(0)
            expect(events.map((e) => e.to)).toEqual(["ready"])
            expect(log).toEqual([])
            return
          }

          if (step === "commit" && mode === "interruption") {
            // The commit is one uninterruptible write: the interruption lands after it, and
            // after the commit nothing is undone.
            expect(Exit.isInterrupted(exit)).toBe(true)
            expect(task.status).toBe("in-progress")
            expect(task.window_id).toBe("@1")
            expect(last.reason).toBe("agent started")
            expect(log.filter((l) => !l.startsWith("fetch"))).toEqual(created("commit"))
            return
          }

          if (step === "trust" && mode === "failure") {
            // A trust failure is a warning: the agent starts anyway.
            expect(Exit.isSuccess(exit)).toBe(true)
            expect(task.status).toBe("in-progress")
            expect(task.window_id).toBe("@1")
            expect(last.reason).toBe("agent started")
            expect(log.filter((l) => l.startsWith("remove") || l.startsWith("kill window "))).toEqual([])
            return
          }

          expect(Exit.isFailure(exit)).toBe(true)
          if (mode === "interruption") {
            expect(Exit.isInterrupted(exit)).toBe(true)
            expect(task.status).toBe("ready")
            expect(task.error).toBeNull()
            expect(last).toMatchObject({ from: "in-progress", to: "ready", actor: "dispatcher", reason: "dispatch interrupted", attempt: 1 })
          } else {
            expect(task.status).toBe("failed")
            expect(task.error).toMatch(new RegExp(`^${step}: `))
            if (mode === "defect") expect(task.error).toContain(`boom in ${step}`)
            expect(last).toMatchObject({ from: "in-progress", to: "failed", actor: "dispatcher", attempt: 1 })
            expect(last.reason).toContain(`dispatch failed at ${step}`)
          }
          expect(events.filter((e) => e.reason === "agent started")).toEqual([])
          // Exactly what was created is undone, newest first; nothing else is touched.
          expect(log.filter((l) => !l.startsWith("fetch"))).toEqual([...created(step), ...undone(step)])
        }))
    }
  }
})

describe("dispatch result", () => {
  it.scopedLive("a failure reaches the caller as a DispatchError naming task and step", () =>
    Effect.gen(function* () {
      for (const mode of ["failure", "defect"] as const) {
        const { exit } = yield* runCase("window", mode)
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) {
          const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
          expect(error).toMatchObject({ _tag: "DispatchError", taskId: "TASK-0001", step: "window" })
        }
      }
    }))

  it.scopedLive("a later attempt kills any window of the task's name before it opens its own; a first attempt has none to kill", () =>
    Effect.gen(function* () {
      const sandbox = makeSandbox("second")
      yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
      const log: Array<string> = []
      yield* Effect.gen(function* () {
        const store = yield* TaskStore
        yield* newTask
        yield* dispatchNext()
        yield* store.move(TASK, "report", "failed", { actor: "agent", reason: "gave up" })
        yield* store.move(TASK, "retry", "ready", { actor: "human", reason: "hub task retry" })
        yield* dispatchNext()
      }).pipe(Effect.provide(world(sandbox, log, faultyStore())))
      expect(log.filter((l) => l.includes("window"))).toEqual([
        "open window TASK-0001",
        "kill windows named TASK-0001",
        "open window TASK-0001"
      ])
    }))

  it.scopedLive("nothing ready: returns none and touches nothing", () =>
    Effect.gen(function* () {
      const sandbox = makeSandbox("none")
      yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
      const log: Array<string> = []
      const result = yield* dispatchNext().pipe(
        Effect.provide(
          Layer.mergeAll(faultyStore(), recordingWorkspace(log), recordingTerminal(log), fakeAgent(), fakeHost).pipe(
            Layer.provideMerge(sandboxConfig(sandbox))
          )
        )
      )
      expect(Option.isNone(result)).toBe(true)
      expect(log).toEqual([])
    }))
})

/**
 * The real store with hooks around the commit: a cancel just before it; before every read
 * (the dispatch reads the task back after its commit), a pause or a failure.
 */
const hookedStore = (hooks: {
  readonly beforeCommit?: Effect.Effect<void, never, TaskStore>
  readonly afterCommit?: Effect.Effect<void, StoreError>
}) =>
  Layer.effect(
    TaskStore,
    Effect.map(makeTaskStore, (store) =>
      TaskStore.of({
        ...store,
        commitDispatch: (ref, window) =>
          (hooks.beforeCommit ?? Effect.void).pipe(
            Effect.provideService(TaskStore, store),
            Effect.zipRight(store.commitDispatch(ref, window))
          ),
        get: (id) => Effect.zipRight(hooks.afterCommit ?? Effect.void, store.get(id))
      }))
  ).pipe(Layer.provide(SqlLive))

const world = (sandbox: ReturnType<typeof makeSandbox>, log: Array<string>, store: Layer.Layer<TaskStore, unknown, any>, onUndo?: Effect.Effect<void>) =>
  Layer.mergeAll(store, recordingWorkspace(log, undefined, onUndo), recordingTerminal(log), fakeAgent(), fakeHost).pipe(
    Layer.provideMerge(sandboxConfig(sandbox))
  )

const TASK = TaskId.make("TASK-0001")
const newTask = Effect.flatMap(TaskStore, (store) =>
  store.create({ title: "t", kind: "implement", status: "ready", description: "", repo: "acme/widget", links: [] }))

/**
 * One dispatch of a fresh ready task in a sandbox, over the store `store` makes (given the
 * recording log); returns its exit, the task and its history after it, and the log.
 */
const dispatchOnce = (name: string, store: (log: Array<string>) => Layer.Layer<TaskStore, unknown, any>) =>
  Effect.gen(function* () {
    const sandbox = makeSandbox(name)
    yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
    const log: Array<string> = []
    return yield* Effect.gen(function* () {
      yield* newTask
      const exit = yield* Effect.exit(dispatchNext())
      const tasks = yield* TaskStore
      return { exit, task: yield* tasks.get(TASK), events: yield* tasks.events(TASK), log }
    }).pipe(Effect.provide(world(sandbox, log, store(log))))
  })

describe("dispatch races (found by the chaos runner)", () => {
  it.scopedLive("a task cancelled while its agent was starting is not committed, and its window and worktree go", () =>
    Effect.gen(function* () {
      const cancel = Effect.flatMap(TaskStore, (store) =>
        store.move(TASK, "cancel", "cancelled", { actor: "human", reason: "hub task cancel" })).pipe(Effect.orDie, Effect.asVoid)
      const { events, exit, log, task } = yield* dispatchOnce("cancel-race", () => hookedStore({ beforeCommit: cancel }))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined).toMatchObject({
        _tag: "DispatchError",
        step: "commit",
        message: "cancelled while its agent was starting"
      })
      expect(task.status).toBe("cancelled")
      expect(task.window_id).toBeNull()
      expect(events.map((e) => e.reason)).toEqual(["created", "claimed", "hub task cancel"])
      expect(log.filter((l) => !l.startsWith("fetch"))).toEqual([
        "create worktree TASK-0001", "open window TASK-0001",
        "kill window @1", "remove worktree TASK-0001"
      ])
    }))

  it.scopedLive("an interruption right after the commit undoes nothing, even with the database gone: the agent stays started", () =>
    Effect.gen(function* () {
      const sandbox = makeSandbox("after-commit")
      yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
      const log: Array<string> = []
      const committed = yield* Deferred.make<void>()
      // After the commit: the dispatch's read-back parks; then every read fails, so that no
      // release could even ask the store whether the agent started (the commit alone decides).
      let phase: "before" | "committed" | "gone" | "back" = "before"
      const afterCommit = Effect.suspend(() =>
        phase === "committed"
          ? Deferred.succeed(committed, undefined).pipe(Effect.zipRight(Effect.never))
          : phase === "gone"
          ? Effect.fail(new StoreError({ message: "database: disk I/O error" }))
          : Effect.void
      )
      const arm = Effect.sync(() => void (phase = "committed"))
      const { events, exit, task } = yield* Effect.gen(function* () {
        yield* newTask
        const fiber = yield* Effect.fork(dispatchNext())
        yield* Deferred.await(committed)
        phase = "gone"
        yield* Fiber.interrupt(fiber)
        const exit = yield* Fiber.await(fiber)
        phase = "back"
        const store = yield* TaskStore
        return { exit, task: yield* store.get(TASK), events: yield* store.events(TASK) }
      }).pipe(Effect.provide(world(sandbox, log, hookedStore({ beforeCommit: arm, afterCommit }))))
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(task.status).toBe("in-progress")
      expect(task.window_id).toBe("@1")
      expect(events.map((e) => e.reason)).toEqual(["created", "claimed", "agent started"])
      expect(log.filter((l) => l.startsWith("kill window ") || l.startsWith("remove"))).toEqual([])
    }))

  it.scopedLive("an interruption that arrives while a failed dispatch undoes its worktree is not lost", () =>
    Effect.gen(function* () {
      const sandbox = makeSandbox("lost-interrupt")
      yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
      const log: Array<string> = []
      const undoing = yield* Deferred.make<void>()
      const undoGate = yield* Deferred.make<void>()
      // The worktree undo is the second release to run (after the window's).
      const heldUndo = Deferred.succeed(undoing, undefined).pipe(Effect.zipRight(Deferred.await(undoGate)))
      const failure = { step: "window", mode: "failure", entered: yield* Deferred.make<void>(), gate: yield* Deferred.make<void>() } as const
      const layers = Layer.mergeAll(
        faultyStore(),
        recordingWorkspace(log, undefined, heldUndo),
        recordingTerminal(log, failure),
        fakeAgent(),
        fakeHost
      ).pipe(Layer.provideMerge(sandboxConfig(sandbox)))
      let carriedOn = false
      const { exit, task } = yield* Effect.gen(function* () {
        yield* newTask
        const fiber = yield* Effect.fork(
          dispatchNext().pipe(Effect.exit, Effect.zipRight(Effect.sync(() => void (carriedOn = true))))
        )
        yield* interruptInside(fiber, undoing, undoGate)
        const exit = yield* Fiber.await(fiber)
        return { exit, task: yield* Effect.flatMap(TaskStore, (s) => s.get(TASK)) }
      }).pipe(Effect.provide(layers))
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(carriedOn).toBe(false)
      // The undo itself still ran to its end.
      expect(task.status).toBe("failed")
      expect(log).toContain("remove worktree TASK-0001")
    }))
})

/** `hub task report ID --status in-review` as the agent of attempt `attempt` runs it. */
const agentReports = (attempt: number, log: Array<string>) =>
  changeStatus(TASK, "report", "in-review", { actor: "agent", reason: "reported in-review" }, {
    sessionId: sessionIdFor(TASK, attempt)
  }).pipe(
    Effect.provide(recordingTerminal(log)),
    Effect.provide(fakeHost),
    // Only its host is read: this machine's, where the dispatch under test claims.
    Effect.provide(HubConfigFrom({ home: "/nonexistent" })),
    Effect.orDie,
    Effect.asVoid
  )

const OWN_START = "agent started (it reported before its dispatcher recorded it)"

describe("an agent that reports before its dispatcher commits (chaos F2)", () => {
  it.scopedLive("records its own start; the commit then fills in the window without a second start", () =>
    Effect.gen(function* () {
      const { events, exit, log, task } = yield* dispatchOnce("report-first", (log) =>
        hookedStore({ beforeCommit: agentReports(1, log) }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(events.map((e) => [e.from, e.to, e.actor, e.reason])).toEqual([
        [null, "ready", "human", "created"],
        ["ready", "in-progress", "dispatcher", "claimed"],
        ["in-progress", "in-progress", "agent", OWN_START],
        ["in-progress", "in-review", "agent", "reported in-review"]
      ])
      // The dispatcher's record of the window is kept; its lease is gone.
      expect(task).toMatchObject({ status: "in-review", window_id: "@1", pane_pid: 4242, lease_pid: null })
      expect(task.session_id).toBe(sessionIdFor(TASK, 1))
      expect(log.filter((l) => l.startsWith("kill window ") || l.startsWith("remove"))).toEqual([])
    }))

  for (const [what, end] of [
    ["interrupted", Effect.interrupt],
    ["hit by a defect", Effect.die(new Error("boom after the report"))]
  ] as const) {
    it.scopedLive(`a dispatcher that is then ${what} before its commit undoes nothing: the agent keeps its window and work`, () =>
      Effect.gen(function* () {
        const { events, exit, log, task } = yield* dispatchOnce("report-then-die", (log) =>
          hookedStore({ beforeCommit: Effect.zipRight(agentReports(1, log), end) }))
        expect(Exit.isFailure(exit)).toBe(true)
        expect(task.status).toBe("in-review")
        expect(events.map((e) => e.reason)).toEqual(["created", "claimed", OWN_START, "reported in-review"])
        expect(log.filter((l) => !l.startsWith("fetch"))).toEqual(["create worktree TASK-0001", "open window TASK-0001"])
      }))
  }

  it.scopedLive("a report under another attempt's session records no start: the dispatcher's commit does", () =>
    Effect.gen(function* () {
      const { events, exit } = yield* dispatchOnce("report-stale", (log) => hookedStore({ beforeCommit: agentReports(7, log) }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(events.map((e) => [e.actor, e.reason])).toEqual([
        ["human", "created"],
        ["dispatcher", "claimed"],
        ["agent", "reported in-review"],
        ["dispatcher", "agent started"]
      ])
    }))

  it.scopedLive("the agent's start names its window when tmux shows exactly one of the task's name", () =>
    Effect.gen(function* () {
      const sandbox = makeSandbox("report-window")
      yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
      const log: Array<string> = []
      const pane = (windowId: string, session = "hub"): Pane => ({
        session, windowName: "TASK-0001", windowId, panePid: 99, dead: false, deadStatus: null, activityAt: null
      })
      let panes: ReadonlyArray<Pane> = []
      const layers = Layer.mergeAll(faultyStore(), recordingTerminal(log, undefined, () => panes), fakeHost).pipe(
        Layer.provideMerge(sandboxConfig(sandbox))
      )
      const windows = yield* Effect.gen(function* () {
        const store = yield* TaskStore
        const seen: Array<string | null> = []
        for (const shown of [[pane("@5")], [pane("@5"), pane("@6")], [pane("@7", "other")]]) {
          yield* store.create({ title: "t", kind: "implement", status: "ready", description: "", repo: null, links: [] })
          const claimed = yield* store.claimNext(10, { pid: 1, start: "x" }, HOST)
          const id = Option.getOrThrow(claimed).id
          panes = shown.map((p) => ({ ...p, windowName: id }))
          yield* changeStatus(id, "report", "blocked", { actor: "agent", reason: "stuck" }, { sessionId: sessionIdFor(id, 1) })
          seen.push((yield* store.get(id)).window_id)
        }
        return seen
      }).pipe(Effect.provide(layers))
      // One window of that name in hub's session: recorded. Two, or one elsewhere: unknown.
      expect(windows).toEqual(["@5", null, null])
    }))
})

describe("a hook that arrives during the dispatch, before its commit (issue 10)", () => {
  it.scopedLive("is not lost: the commit resets nothing, and the agent's state reads it", () =>
    Effect.gen(function* () {
      const sandbox = makeSandbox("hook-first")
      yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
      const log: Array<string> = []
      // The agent's first hook lands between its window and the dispatcher's commit.
      const hookFirst = Effect.promise(() =>
        runHook({
          args: [JSON.stringify({ hook_event_name: "PreToolUse", tool_name: "Bash" })],
          env: {
            HUB_HOME: sandbox.hubHome,
            HUB_TASK_ID: TASK,
            HUB_SESSION_ID: sessionIdFor(TASK, 1),
            HUB_RUN_DIR: path.join(sandbox.hubHome, "runs", TASK, "1")
          },
          stdin: Readable.from([]),
          warn: (line) => void log.push(`warn ${line}`)
        }))
      const layers = Layer.mergeAll(
        hookedStore({ beforeCommit: hookFirst }),
        recordingWorkspace(log),
        recordingTerminal(log),
        // The real agent service: its run folder is where the hook writes.
        AgentLive,
        fakeHost
      ).pipe(Layer.provideMerge(sandboxConfig(sandbox)))
      const { agent, exit, task } = yield* Effect.gen(function* () {
        yield* newTask
        const exit = yield* Effect.exit(dispatchNext())
        const task = yield* Effect.flatMap(TaskStore, (store) => store.get(TASK))
        return { exit, task, agent: yield* observeAgent(task) }
      }).pipe(Effect.provide(layers))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(log.filter((l) => l.startsWith("warn"))).toEqual([])
      expect(task).toMatchObject({ status: "in-progress", agent_state: "starting", agent_signals_read: 0 })
      expect(agent).toMatchObject({ state: "busy", reason: "using Bash" })
      expect(yield* Effect.flatMap(TaskStore, (store) => store.get(TASK)).pipe(Effect.provide(layers))).toMatchObject({
        agent_state: "busy",
        agent_signals_read: expect.any(Number)
      })
    }))
})
