/**
 * Reconcile over fakes, for the states the real thing reaches only through narrow races: an
 * agent that recorded its own start (it reported before its dispatcher committed) without a
 * window, and is back in progress.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { sessionIdFor } from "../../src/agent/session.js"
import { reconcile } from "../../src/dispatch/reconcile.js"
import { TaskStore } from "../../src/store/TaskStore.js"
import type { Pane } from "../../src/terminal/Terminal.js"
import { fakeAgent, fakeHost, faultyStore, recordingTerminal, recordingWorkspace } from "../support/fakes.js"
import { sandboxConfig } from "../support/layers.js"
import { makeSandbox } from "../support/sandbox.js"
import { HOST } from "../store/helpers.js"

const named = (name: string, dead = false): Pane => ({
  session: "hub", windowName: name, windowId: "@9", panePid: 99, dead, deadStatus: dead ? 4 : null, activityAt: null
})

/** A task claimed by a dispatcher now dead, whose agent recorded its start with no window. */
const startedWithoutWindow = (panes: (id: string) => ReadonlyArray<Pane>) =>
  Effect.gen(function* () {
    const sandbox = makeSandbox("rc-unit")
    yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
    const log: Array<string> = []
    let shown: ReadonlyArray<Pane> = []
    const layers = Layer.mergeAll(faultyStore(), recordingWorkspace(log), recordingTerminal(log, undefined, () => shown), fakeAgent(), fakeHost)
      .pipe(Layer.provideMerge(sandboxConfig(sandbox)))
    return yield* Effect.gen(function* () {
      const store = yield* TaskStore
      yield* store.create({ title: "t", kind: "implement", status: "ready", description: "", repo: null, links: [] })
      // pid 2^22+1 is above any pid_max: the lease is void at once.
      const task = Option.getOrThrow(yield* store.claimNext(1, { pid: 4_194_305, start: "gone" }, HOST))
      expect(
        yield* store.recordStart({ id: task.id, attempt: 1 }, { sessionId: sessionIdFor(task.id, 1), window: null }, "agent started (test)")
      ).toBe(true)
      shown = panes(task.id)
      const report = yield* reconcile
      return { report, task: yield* store.get(task.id), log }
    }).pipe(Effect.provide(layers))
  })

describe("reconcile of a start recorded by its agent without a window", () => {
  it.scopedLive("finds the agent by its window's name: alive → left alone, nothing killed", () =>
    Effect.gen(function* () {
      const { log, report, task } = yield* startedWithoutWindow((id) => [named(id)])
      expect(report.changed).toEqual([])
      expect(task.status).toBe("in-progress")
      expect(log).toEqual([])
    }))

  it.scopedLive("no window of that name → failed (agent window disappeared), never back to ready", () =>
    Effect.gen(function* () {
      const { report, task } = yield* startedWithoutWindow(() => [])
      expect(report.changed).toMatchObject([{ to: "failed", reason: "agent window disappeared", applied: true }])
      expect(task).toMatchObject({ status: "failed", error: "agent window disappeared" })
    }))

  it.scopedLive("its dead pane → judged by the pane's exit status", () =>
    Effect.gen(function* () {
      const { task } = yield* startedWithoutWindow((id) => [named(id, true)])
      expect(task).toMatchObject({ status: "failed", error: "agent exited with status 4" })
    }))
})
