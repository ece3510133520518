import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Option } from "effect"
import { dispatchNext } from "../../src/dispatch/dispatch.js"
import { TaskStore } from "../../src/store/TaskStore.js"
import { TaskId } from "../../src/domain/TaskId.js"
import { fakeAgent, type Fault, type FaultMode, type FaultStep, faultyStore, recordingTerminal, recordingWorkspace } from "../support/fakes.js"
import { sandboxConfig } from "../support/layers.js"
import { makeSandbox } from "../support/sandbox.js"

const STEPS: ReadonlyArray<FaultStep> = ["claim", "worktree", "trust", "window", "commit"]
const MODES: ReadonlyArray<FaultMode> = ["failure", "defect", "interruption"]

/** What each step creates, in order; an undo must remove exactly what exists at the fault. */
const created = (step: FaultStep): Array<string> => {
  const order: Array<string> = []
  if (step === "claim") return order
  order.push("create worktree TASK-0001")
  if (step === "worktree" || step === "trust") return order
  order.push("kill windows named TASK-0001", "open window TASK-0001")
  return order
}

const undone = (step: FaultStep): Array<string> => {
  if (step === "claim") return []
  if (step === "worktree" || step === "trust") return ["remove worktree TASK-0001"]
  // A window that failed to open is looked up by name; an opened one is killed by id.
  return [step === "window" ? "kill windows named TASK-0001" : "kill window @1", "remove worktree TASK-0001"]
}

const runCase = (step: FaultStep, mode: FaultMode) =>
  Effect.gen(function* () {
    const sandbox = makeSandbox("faults")
    yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
    const log: Array<string> = []
    const entered = yield* Deferred.make<void>()
    const fault: Fault = { step, mode, entered }
    const config = sandboxConfig(sandbox)
    const services = Layer.mergeAll(
      faultyStore(fault),
      recordingWorkspace(log, fault),
      recordingTerminal(log, fault),
      fakeAgent(fault)
    ).pipe(Layer.provideMerge(config))

    return yield* Effect.gen(function* () {
      const store = yield* TaskStore
      yield* store.create({ title: "t", kind: "implement", status: "ready", description: "", repo: "acme/widget", links: [] })
      const fiber = yield* Effect.fork(dispatchNext())
      if (mode === "interruption") {
        yield* Deferred.await(entered)
        yield* Fiber.interrupt(fiber)
      }
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

  it.scopedLive("nothing ready: returns none and touches nothing", () =>
    Effect.gen(function* () {
      const sandbox = makeSandbox("none")
      yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
      const log: Array<string> = []
      const result = yield* dispatchNext().pipe(
        Effect.provide(
          Layer.mergeAll(faultyStore(), recordingWorkspace(log), recordingTerminal(log), fakeAgent()).pipe(
            Layer.provideMerge(sandboxConfig(sandbox))
          )
        )
      )
      expect(Option.isNone(result)).toBe(true)
      expect(log).toEqual([])
    }))
})
