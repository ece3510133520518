import { Deferred, Effect, Layer, Option } from "effect"
import { Agent } from "../../src/agent/Agent.js"
import { sessionIdFor } from "../../src/agent/session.js"
import { AgentError, StoreError, TmuxError, WorktreeError } from "../../src/domain/errors.js"
import { Host } from "../../src/host/Host.js"
import { makeTaskStore, TaskStore } from "../../src/store/TaskStore.js"
import { SqlLive } from "../../src/store/Sql.js"
import { type Pane, Terminal } from "../../src/terminal/Terminal.js"
import { Workspace } from "../../src/workspace/Workspace.js"

export type FaultStep = "claim" | "worktree" | "trust" | "window" | "commit"
export type FaultMode = "failure" | "defect" | "interruption"

/**
 * Where a test wants the pipeline to break, and how. An interruption completes `entered`
 * and holds the step on `gate`: the test sends the interruption, then opens the gate. An
 * interruptible step is cut short; an uninterruptible one (the claim, the commit) goes on
 * once the gate opens, with the interruption already landed.
 */
export interface Fault {
  readonly step: FaultStep
  readonly mode: FaultMode
  readonly entered: Deferred.Deferred<void>
  readonly gate: Deferred.Deferred<void>
}

/** What the fake services were asked to do, in order: the undo must mirror the do. */
export type Recorded = Array<string>

const breakHere = <E>(fault: Fault | undefined, step: FaultStep, typed: () => E): Effect.Effect<void, E> => {
  if (!fault || fault.step !== step) return Effect.void
  switch (fault.mode) {
    case "failure":
      return Effect.fail(typed())
    case "defect":
      return Effect.die(new Error(`boom in ${step}`))
    case "interruption":
      return Deferred.succeed(fault.entered, undefined).pipe(Effect.zipRight(Deferred.await(fault.gate)))
  }
}

/** The real SQLite store, with a fault at claim or commit. */
export const faultyStore = (fault?: Fault) =>
  Layer.effect(
    TaskStore,
    Effect.map(makeTaskStore, (store) =>
      TaskStore.of({
        ...store,
        claimNext: (cap, lease, host) =>
          breakHere(fault, "claim", () => new StoreError({ message: "database: disk I/O error" })).pipe(
            Effect.zipRight(store.claimNext(cap, lease, host))
          ),
        commitDispatch: (ref, window) =>
          breakHere(fault, "commit", () => new StoreError({ message: "database: disk I/O error" })).pipe(
            Effect.zipRight(store.commitDispatch(ref, window))
          )
      }))
  ).pipe(Layer.provide(SqlLive))

/** A workspace that records what it creates and removes; creation can break half-way. */
export const recordingWorkspace = (log: Recorded, fault?: Fault, onUndo: Effect.Effect<void> = Effect.void) =>
  Layer.succeed(
    Workspace,
    Workspace.of({
      addRepo: () => Effect.die("not used"),
      listRepos: Effect.succeed([]),
      hasRepo: () => Effect.succeed(true),
      fetch: (repo) => Effect.sync(() => void log.push(`fetch ${repo}`)),
      dirFor: (taskId) => `/nowhere/${taskId}`,
      plan: (taskId, repo) => Effect.succeed({ dir: `/nowhere/${taskId}`, createdDir: true, createdBranch: repo !== null, repo }),
      make: (taskId) =>
        Effect.gen(function* () {
          log.push(`create worktree ${taskId}`)
          // Breaks after creating: the undo must still find and remove it.
          yield* breakHere(fault, "worktree", () => new WorktreeError({ taskId, message: "fatal: worktree add failed" }))
        }),
      undo: (taskId) => Effect.sync(() => void log.push(`remove worktree ${taskId}`)).pipe(Effect.zipRight(onUndo)),
      exists: () => Effect.succeed(true),
      taskDirs: Effect.succeed([]),
      inspect: () => Effect.succeed({ keep: true, why: "fake" }),
      removeIfUnused: () => Effect.succeed(false),
      remove: () => Effect.void,
      diffStat: () => Effect.succeed(Option.none()),
      check: Effect.void
    })
  )

/**
 * A terminal that records windows; opening can fail after tmux made the window. Its probe
 * answers with `panes` (none by default).
 */
export const recordingTerminal = (log: Recorded, fault?: Fault, panes: () => ReadonlyArray<Pane> = () => []) => {
  let next = 1
  return Layer.succeed(
    Terminal,
    Terminal.of({
      socket: "fake",
      session: "hub",
      openWindow: (spec) =>
        Effect.gen(function* () {
          const id = `@${next++}`
          log.push(`open window ${spec.name}`)
          yield* breakHere(fault, "window", () => new TmuxError({ message: "tmux new-window: no space for new pane" }))
          return { windowId: id, panePid: 4242, socket: "fake", session: "hub" }
        }),
      killWindow: (ref) => Effect.sync(() => void log.push(`kill window ${ref.windowId}`)),
      killWindowsNamed: (name) => Effect.sync(() => (log.push(`kill windows named ${name}`), 0)),
      probe: () => Effect.sync(() => ({ _tag: "Running" as const, panes: panes() })),
      capture: () => Effect.succeed(Option.none()),
      check: Effect.void
    })
  )
}

export const fakeAgent = (fault?: Fault) =>
  Layer.succeed(
    Agent,
    Agent.of({
      command: "sleep 600",
      isDefault: false,
      preset: Option.none(),
      launch: (task) =>
        Effect.succeed({
          env: { HUB_TASK_ID: task.id },
          command: "sleep 600",
          sessionId: sessionIdFor(task.id, task.attempt),
          runDir: "/nowhere",
          resumed: Option.none()
        }),
      trust: () => breakHere(fault, "trust", () => new AgentError({ message: "cannot pre-trust: EACCES" })),
      exitStatus: () => Effect.succeed(Option.none()),
      signals: (_id, _attempt, from) => Effect.succeed({ signals: [], read: from }),
      agentSession: (_id, _attempt, from) => Effect.succeed({ sessionId: null, transcriptPath: null, read: from }),
      modelCalls: (_path, from) => Effect.succeed({ calls: [], read: from }),
      check: Effect.void,
      voidAttempt: () => Effect.void
    })
  )

/** A machine on which this process holds lease `pid 4242` and every other lease is void. */
export const fakeHost = Layer.succeed(
  Host,
  Host.of({
    currentLease: Effect.succeed({ pid: 4242, start: "fake" }),
    isLeaseLive: () => Effect.succeed(false),
    endSession: () => Effect.succeed(0)
  })
)
