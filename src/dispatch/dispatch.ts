import { Cause, Effect, Exit, Option, Ref, Schedule, Scope } from "effect"
import { Agent } from "../agent/Agent.js"
import { HubConfig } from "../config.js"
import {
  type AgentError,
  Defect,
  DispatchError,
  type DispatchStep,
  type StoreError,
  type TmuxError,
  type WorktreeError
} from "../domain/errors.js"
import type { Task } from "../domain/Task.js"
import type { TaskId } from "../domain/TaskId.js"
import { Host } from "../host/Host.js"
import { acquireRelease } from "../shared/acquireRelease.js"
import { dispatching } from "./inFlight.js"
import { causeMessage, messageOf } from "../shared/messages.js"
import { TaskStore, type StoredTask } from "../store/TaskStore.js"
import { Terminal, type Window } from "../terminal/Terminal.js"
import { Workspace } from "../workspace/Workspace.js"

export interface Started {
  readonly task: Task
  readonly window: Window
  readonly workspace: string
  readonly sessionId: string
}

/**
 * Repos fetched during one dispatch pass: a fetch costs more than a worktree, so a pass
 * fetches each repo once.
 */
export type FetchCache = Ref.Ref<ReadonlySet<string>>
export const makeFetchCache = Ref.make<ReadonlySet<string>>(new Set())

/**
 * Claims the next ready task (TaskStore.claimNext: the highest priority, then the oldest, none
 * that waits on another) and starts its agent, as ARCHITECTURE.md draws it: the claim, the
 * worktree and the window are resources whose releases undo them unless the dispatch
 * succeeded, and the commit is the point after which nothing is undone. A typed failure, a
 * defect or an interruption anywhere after the claim leaves the task `ready` (interrupted)
 * or `failed` (with the step and reason), and removes exactly what this dispatch made.
 * Returns the started task, or none when nothing is ready or the cap is reached.
 */
export const dispatchNext = (options: { readonly fetched?: FetchCache } = {}) =>
  // A scope of our own, so that the commit can close it with success (see step 4).
  Effect.flatMap(Scope.make(), (scope) =>
    dispatchIn(scope, options.fetched).pipe(
      Scope.extend(scope),
      Effect.onExit((exit) => Scope.close(scope, exit))
    )).pipe(Effect.withSpan("Dispatch.next"))

const dispatchIn = (scope: Scope.CloseableScope, fetchCache: FetchCache | undefined) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const workspace = yield* Workspace
    const terminal = yield* Terminal
    const agent = yield* Agent
    const config = yield* HubConfig
    const fetched = fetchCache ?? (yield* makeFetchCache)

    // 1. claim: released to `ready` on interruption, to `failed` with the step and reason on
    // any failure or defect. Its rollback is fenced on an unrecorded start, so it stands down
    // by itself once the commit, or the agent's own start, has landed.
    const host = yield* Host
    const lease = yield* host.currentLease
    const claimed = yield* acquireRelease(
      store.claimNext(config.dispatchCap, lease, config.host).pipe(
        inStep("claim"),
        Effect.tap(Option.match({ onNone: () => Effect.void, onSome: (task) => Effect.sync(() => dispatching.add(task)) }))
      ),
      (claim, exit) =>
        Option.match(claim, {
          onNone: () => Effect.void,
          onSome: (task) => releaseClaim(store, task, exit).pipe(Effect.ensuring(Effect.sync(() => dispatching.remove(task))))
        })
    )
    if (Option.isNone(claimed)) return Option.none<Started>()
    const task = claimed.value
    const ref = { id: task.id, attempt: task.attempt }
    const undo = yield* undoUnlessStarted(store, task)

    // 2. worktree: the plan is the resource (fast, and recorded with the attempt, so that
    // reconcile knows it too); the slow git work comes after it, interruptibly.
    if (task.repo !== null) yield* fetchOnce(fetched, task.repo).pipe(inStep("worktree", task.id))
    const plan = yield* acquireRelease(
      workspace.plan(task.id, task.repo).pipe(
        Effect.tap((p) => store.setWorkspace(ref, p.dir, p.createdDir)),
        inStep("worktree", task.id)
      ),
      (p, exit) => p.createdDir || p.createdBranch ? undo(exit, "worktree", workspace.undo(task.id, p)) : Effect.void
    )
    yield* workspace.make(task.id, plan).pipe(inStep("worktree", task.id))
    // A trust that cannot be written is a warning: the agent can still ask for it itself.
    yield* agent.trust(plan.dir).pipe(
      Effect.catchAll((error) => Effect.logWarning(`${task.id}: ${error.message}`)),
      inStep("trust", task.id)
    )

    // 3. window: a stale window of an earlier attempt goes first, so the name is ours alone
    // (a first attempt has none: reconcile kills an unrecorded one when it resets an attempt).
    // The resource is the window's slot, so that the release also finds a window that tmux
    // made before it failed: by name, when tmux never said its id. Its release ends every
    // process of the attempt first (what an agent starts with nohup or setsid outlives it).
    if (task.attempt > 1) yield* terminal.killWindowsNamed(task.id).pipe(inStep("window", task.id))
    // A kept worktree: the agent continues its last conversation there, where it can (a fresh
    // worktree has none to continue; `hub task retry --fresh` forgets them).
    const resume = plan.createdDir
      ? Option.none()
      : yield* store.resumable(task.id, task.attempt).pipe(inStep("window", task.id))
    const launch = yield* agent.launch(task, plan.dir, resume).pipe(inStep("window", task.id))
    const slot = yield* acquireRelease(Ref.make(Option.none<Window>()), (slot, exit) =>
      undo(exit, "window", host.endSession(launch.sessionId).pipe(
        Effect.zipRight(Ref.get(slot)),
        Effect.flatMap(Option.match({
          onNone: () => terminal.killWindowsNamed(task.id),
          onSome: (window) => terminal.killWindow(window)
        }))
      )))
    const window = yield* terminal.openWindow({ name: task.id, cwd: plan.dir, env: launch.env, command: launch.command }).pipe(
      Effect.tap((opened) => Ref.set(slot, Option.some(opened))),
      inStep("window", task.id)
    )

    // 4. commit: the write and closing the scope with success are one uninterruptible step, so
    // an interruption that lands during the commit finds nothing left to undo.
    const recorded = yield* Effect.uninterruptible(
      store.commitDispatch(ref, {
        windowId: window.windowId,
        panePid: window.panePid,
        sessionId: launch.sessionId,
        tmuxSocket: window.socket,
        tmuxSession: window.session
      }).pipe(Effect.tap((ok) => (ok ? Scope.close(scope, Exit.void) : Effect.void)))
    ).pipe(inStep("commit", task.id))
    if (!recorded) return yield* notCommitted(store, task)
    if (Option.isSome(launch.resumed)) {
      yield* Effect.logInfo(`dispatch ${task.id}#${task.attempt}: continues the conversation of attempt ${launch.resumed.value}`)
      // Bookkeeping after the commit: a failure here is a warning, never an undo.
      yield* store.recordResume(ref, launch.resumed.value).pipe(
        Effect.catchAll((error) => Effect.logWarning(`${task.id}: could not record the resumed conversation: ${error.message}`))
      )
    }
    const final = yield* store.get(task.id).pipe(Effect.orElseSucceed(() => task))
    return Option.some<Started>({ task: final, window, workspace: plan.dir, sessionId: launch.sessionId })
  })

type StepError = StoreError | WorktreeError | TmuxError | AgentError

/** Whatever goes wrong in a step, a typed failure or a defect, is a DispatchError naming it. */
const inStep = (step: DispatchStep, taskId?: TaskId) => <A, R>(effect: Effect.Effect<A, StepError, R>) => {
  const named = taskId === undefined ? { step } : { step, taskId }
  return effect.pipe(
    Effect.mapError((cause) => new DispatchError({ ...named, message: cause.message, cause })),
    Effect.catchAllDefect((defect) => {
      const message = `defect: ${messageOf(defect)}`
      return Effect.fail(new DispatchError({ ...named, message, cause: new Defect({ message, defect }) }))
    })
  )
}

/**
 * An undo must never hang a finalizer (they run uninterruptibly) nor throw: log and go on. A
 * failed undo is tried again within that bound: a database that was restarted meanwhile (its
 * pooled connections broken) answers the next try.
 */
const bounded = (what: string, undo: Effect.Effect<unknown, unknown>) =>
  undo.pipe(
    Effect.retry(Schedule.spaced("500 millis")),
    Effect.timeout("20 seconds"),
    Effect.catchAllCause((cause) => Effect.logWarning(`undo ${what} failed (reconcile will repair): ${causeMessage(cause)}`)),
    Effect.asVoid
  )

const releaseClaim = (store: TaskStore["Type"], task: StoredTask, exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isSuccess(exit)) return Effect.void
  const ref = { id: task.id, attempt: task.attempt }
  if (Cause.isInterruptedOnly(exit.cause)) return bounded("claim", store.rollback(ref, "ready", "dispatch interrupted", null))
  const failure = Cause.failureOption(exit.cause)
  const reason = Option.isSome(failure) && failure.value instanceof DispatchError
    ? `${failure.value.step}: ${failure.value.message}`
    : `unknown step: ${causeMessage(exit.cause)}`
  return bounded("claim", store.rollback(ref, "failed", `dispatch failed at ${reason}`, reason))
}

/**
 * The release of a worktree or a window: nothing after a success, and nothing when the
 * agent proved it runs by recording its own start (it reported before the commit, see
 * TaskStore.recordStart): its work and window stay. The store is asked once per dispatch.
 */
const undoUnlessStarted = (store: TaskStore["Type"], task: StoredTask) =>
  Effect.map(
    Effect.cached(store.get(task.id).pipe(
      Effect.map((now) => now.attempt === task.attempt && now.started_at !== null),
      Effect.timeout("5 seconds"),
      Effect.orElseSucceed(() => false)
    )),
    (startedByAgent) => (exit: Exit.Exit<unknown, unknown>, what: string, undo: Effect.Effect<unknown, unknown>) =>
      Exit.isSuccess(exit)
        ? Effect.void
        : Effect.flatMap(startedByAgent, (started) => (started ? Effect.void : bounded(what, undo)))
  )

/** `git fetch` of a repo, once per dispatch pass. */
const fetchOnce = (fetched: FetchCache, repo: string) =>
  Effect.gen(function* () {
    if ((yield* Ref.get(fetched)).has(repo)) return
    yield* Effect.flatMap(Workspace, (workspace) => workspace.fetch(repo))
    yield* Ref.update(fetched, (repos) => new Set([...repos, repo]))
  })

/** The commit found the attempt gone: cancelled meanwhile, or no longer the current one. */
const notCommitted = (store: TaskStore["Type"], task: StoredTask) =>
  Effect.gen(function* () {
    const now = yield* store.get(task.id).pipe(Effect.option)
    const cancelled = Option.isSome(now) && now.value.status === "cancelled" && now.value.attempt === task.attempt
    return yield* new DispatchError({
      taskId: task.id,
      step: "commit",
      message: cancelled ? "cancelled while its agent was starting" : `attempt ${task.attempt} is no longer current`
    })
  })
