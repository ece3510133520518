import { Cause, Effect, Exit, Option, Ref, Scope } from "effect"
import { Agent } from "../agent/Agent.js"
import { HubConfig } from "../config.js"
import { DispatchError } from "../domain/errors.js"
import type { Task } from "../domain/Task.js"
import { TaskStore, type StoredTask } from "../store/TaskStore.js"
import { Terminal, type Window } from "../terminal/Terminal.js"
import { type Prepared, Workspace } from "../workspace/Workspace.js"
import { currentLease } from "./lease.js"

export type Step = "claim" | "worktree" | "trust" | "window" | "commit"

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

/** An undo must never hang a finalizer (they run uninterruptibly) nor throw: log and go on. */
const bounded = (what: string, undo: Effect.Effect<unknown, unknown>) =>
  undo.pipe(
    Effect.timeout("20 seconds"),
    Effect.catchAllCause((cause) => Effect.logWarning(`undo ${what} failed (reconcile will repair): ${Cause.pretty(cause)}`)),
    Effect.asVoid
  )

const describeCause = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    return typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)
  }
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) {
    const d = defect.value
    return `defect: ${d instanceof Error ? d.message : String(d)}`
  }
  return Cause.pretty(cause).split("\n")[0] ?? "unknown failure"
}

/**
 * Claims the oldest ready task and starts its agent: claim, worktree, window, commit. Each
 * step registers its undo before it does anything, so a typed failure, a defect or an
 * interruption anywhere after the claim leaves the task `ready` (interrupted) or `failed`
 * (with the step and reason), and removes exactly what this dispatch created.
 * Returns the started task, or none when nothing is ready or the cap is reached.
 */
export const dispatchNext = (options: { readonly fetched?: FetchCache } = {}) =>
  Effect.gen(function* () {
    const progress = yield* Ref.make({ step: "claim" as Step, taskId: "" })
    return yield* run(options, progress).pipe(
      Effect.scoped,
      // The claim's release has already recorded a defect; callers get it typed.
      Effect.catchAllDefect((defect) =>
        Effect.flatMap(Ref.get(progress), ({ step, taskId }) =>
          Effect.fail(
            new DispatchError({ taskId, step, message: `defect: ${defect instanceof Error ? defect.message : String(defect)}` })
          ))
      )
    )
  }).pipe(Effect.withSpan("Dispatch.next"))

interface Progress {
  readonly step: Step
  readonly taskId: string
}

const run = (options: { readonly fetched?: FetchCache }, progress: Ref.Ref<Progress>) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const workspace = yield* Workspace
    const terminal = yield* Terminal
    const agent = yield* Agent
    const config = yield* HubConfig
    const fetched = options.fetched ?? (yield* makeFetchCache)
    const step = {
      get: Effect.map(Ref.get(progress), (p) => p.step),
      set: (at: Step) => Ref.update(progress, (p) => ({ ...p, step: at }))
    }
    const failAt = (at: Step, taskId: string) => (error: { readonly message: string }) =>
      new DispatchError({ taskId, step: at, message: error.message })

    // Every undo is registered with Scope.addFinalizerExit: effect 3.22.4's addFinalizer (and
    // so acquireRelease) loses an interruption that arrives while its second finalizer runs,
    // and a daemon told to stop would go on claiming (docs/RELIABILITY.md, F3). Each undo also
    // stands down once the commit has landed: an interruption after it undoes nothing (F4).
    const scope = yield* Effect.scope
    const committed = yield* Ref.make(false)
    const onFailure = (undo: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void>) =>
      Scope.addFinalizerExit(scope, (exit) =>
        Exit.isSuccess(exit) ? Effect.void : Effect.flatMap(Ref.get(committed), (done) => (done ? Effect.void : undo(exit))))

    // 1. claim: released to `ready` on interruption, `failed` on any failure or defect. The
    // claim and the registration of its release are one uninterruptible step.
    const lease = yield* currentLease
    const claimed = yield* Effect.uninterruptible(
      store.claimNext(config.dispatchCap, lease).pipe(
        Effect.mapError(failAt("claim", "")),
        Effect.tap(Option.match({
          onNone: () => Effect.void,
          onSome: (task) =>
            onFailure((exit) => {
              const ref = { id: task.id, attempt: task.attempt }
              if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) {
                return bounded("claim", store.rollback(ref, "ready", "dispatch interrupted", null))
              }
              return Effect.flatMap(step.get, (at) => {
                const reason = `${at}: ${Exit.isFailure(exit) ? describeCause(exit.cause) : "unknown failure"}`
                return bounded("claim", store.rollback(ref, "failed", `dispatch failed at ${reason}`, reason))
              })
            })
        }))
      )
    )
    if (Option.isNone(claimed)) return Option.none<Started>()
    const task: StoredTask = claimed.value
    yield* Ref.update(progress, (p) => ({ ...p, taskId: task.id }))
    const ref = { id: task.id, attempt: task.attempt }

    // 2. worktree: the undo is registered first, and knows only what `prepare` said it made.
    yield* step.set("worktree")
    const plan = yield* Ref.make(Option.none<Prepared>())
    yield* onFailure(() =>
      Effect.flatMap(Ref.get(plan), Option.match({
        onNone: () => Effect.void,
        onSome: (p) => bounded("worktree", workspace.undo(task.id, p))
      }))
    )
    if (task.repo !== null && !(yield* Ref.get(fetched)).has(task.repo)) {
      yield* workspace.fetch(task.repo).pipe(Effect.mapError(failAt("worktree", task.id)))
      yield* Ref.update(fetched, (s) => new Set([...s, task.repo!]))
    }
    const prepared = yield* workspace.prepare(task.id, task.repo, (p) =>
      Ref.set(plan, Option.some(p)).pipe(
        Effect.zipRight(store.setWorkspace(ref, p.dir, p.createdDir)),
        Effect.orDie
      )).pipe(Effect.mapError(failAt("worktree", task.id)))
    if (!prepared.createdDir) yield* store.setWorkspace(ref, prepared.dir, false).pipe(Effect.mapError(failAt("worktree", task.id)))

    // 3. trust: a failure here is a warning, the agent can still ask for trust itself.
    yield* step.set("trust")
    yield* agent.trust(prepared.dir).pipe(
      Effect.catchAll((error) => Effect.logWarning(`${task.id}: ${error.message}`))
    )

    // 4. window: a stale window of an earlier attempt goes first, so the name is ours alone.
    // A first attempt has none (reconcile kills an unrecorded one by name when it resets an
    // attempt), so it spares the tmux call.
    yield* step.set("window")
    const opened = yield* Ref.make(Option.none<Window>())
    if (task.attempt > 1) yield* terminal.killWindowsNamed(task.id).pipe(Effect.mapError(failAt("window", task.id)))
    yield* onFailure(() =>
      Effect.flatMap(Ref.get(opened), Option.match({
        // tmux may have made the window and then failed: find it by name.
        onNone: () => bounded("window", terminal.killWindowsNamed(task.id)),
        onSome: (w) => bounded("window", terminal.killWindow(w))
      }))
    )
    // Registered last, so it runs first: an agent that reported before the commit has recorded
    // its own start (TaskStore.recordStart); from then on nothing is undone, as after a commit.
    yield* onFailure(() =>
      store.get(task.id).pipe(
        Effect.flatMap((now) =>
          now.attempt === task.attempt && now.started_at !== null ? Ref.set(committed, true) : Effect.void),
        Effect.timeout("5 seconds"),
        Effect.catchAllCause(() => Effect.void)
      )
    )
    const launch = yield* agent.launch(task, prepared.dir).pipe(Effect.mapError(failAt("window", task.id)))
    const window = yield* terminal.openWindow({
      name: task.id,
      cwd: prepared.dir,
      env: launch.env,
      command: launch.command
    }).pipe(
      Effect.tap((w) => Ref.set(opened, Option.some(w))),
      Effect.mapError(failAt("window", task.id))
    )

    // 5. commit: the write and the flag that stands the undos down are one uninterruptible step.
    yield* step.set("commit")
    const recorded = yield* Effect.uninterruptible(
      store.commitDispatch(ref, {
        windowId: window.windowId,
        panePid: window.panePid,
        sessionId: launch.sessionId,
        tmuxSocket: window.socket,
        tmuxSession: window.session
      }).pipe(Effect.tap((ok) => Ref.set(committed, ok)))
    ).pipe(Effect.mapError(failAt("commit", task.id)))
    if (!recorded) {
      const now = yield* store.get(task.id).pipe(Effect.option)
      const cancelled = Option.isSome(now) && now.value.status === "cancelled" && now.value.attempt === task.attempt
      return yield* new DispatchError({
        taskId: task.id,
        step: "commit",
        message: cancelled ? "cancelled while its agent was starting" : `attempt ${task.attempt} is no longer current`
      })
    }
    const final = yield* store.get(task.id).pipe(Effect.orElseSucceed(() => task))
    return Option.some<Started>({ task: final, window, workspace: prepared.dir, sessionId: launch.sessionId })
  })
