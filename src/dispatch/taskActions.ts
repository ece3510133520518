import { Effect, Either } from "effect"
import type { Change, StoredTask } from "../store/TaskStore.js"
import { TaskStore } from "../store/TaskStore.js"
import type { TaskStatus } from "../domain/Task.js"
import type { TaskId } from "../domain/TaskId.js"
import { checkTransition, type Move } from "../domain/transitions.js"
import { panesNamed, Terminal } from "../terminal/Terminal.js"
import { sessionIdFor } from "../agent/session.js"
import { Host } from "../host/Host.js"
import { HubConfig } from "../config.js"
import { runsHere } from "../domain/hostLease.js"

/** Who asks for a change from inside an agent window: the session id hub gave that agent. */
export interface Caller {
  readonly sessionId: string
}

/**
 * An agent reporting on its own attempt before the dispatcher recorded the start (tmux was
 * slow to answer, or the dispatcher died after opening the window) proves that it runs:
 * record the start, with its window if tmux names exactly one, so that the attempt's history
 * says "agent started" whatever becomes of the dispatcher. A failed lookup of the window is
 * no reason to refuse the report: the start is recorded without it (liveness then goes by name).
 */
const recordOwnStart = (task: StoredTask, caller: Caller) =>
  Effect.gen(function* () {
    if (task.status !== "in-progress" || task.started_at !== null || task.attempt === 0) return
    if (sessionIdFor(task.id, task.attempt) !== caller.sessionId) return
    const store = yield* TaskStore
    const terminal = yield* Terminal
    const window = yield* terminal.probe(terminal.socket).pipe(
      Effect.map((seen) => {
        if (seen._tag === "NoServer") return null
        const panes = panesNamed(seen.panes, terminal.session, task.id)
        const pane = panes[0]
        return panes.length === 1 && pane !== undefined
          ? { windowId: pane.windowId, panePid: pane.panePid, tmuxSocket: terminal.socket, tmuxSession: terminal.session }
          : null
      }),
      Effect.catchAll((error) =>
        Effect.as(Effect.logWarning(`${task.id}: could not find the agent's window: ${error.message}`), null))
    )
    yield* store.recordStart(
      { id: task.id, attempt: task.attempt },
      { sessionId: caller.sessionId, window },
      "agent started (it reported before its dispatcher recorded it)"
    )
  })

/**
 * Which attempt of this task the caller is the agent of, by its session id; none when it is no
 * attempt of this task (a person, or an agent reporting on another task).
 */
const callerAttempt = (task: StoredTask, caller: Caller): number | undefined => {
  for (let attempt = task.attempt; attempt >= 1; attempt--) {
    if (sessionIdFor(task.id, attempt) === caller.sessionId) return attempt
  }
  return undefined
}

/**
 * Stops whatever agent a task may have: every process of its attempt, then its window. A window that was never recorded (its
 * dispatcher died after opening it, or its agent reported before the commit) is found by
 * name; failing to look for one is a warning, since none is known to exist.
 */
const stopAgent = (task: StoredTask) =>
  Effect.gen(function* () {
    const terminal = yield* Terminal
    const config = yield* HubConfig
    // Another host's agent is not on this tmux (a window id here names some other window):
    // that host's reap stops it, since its task no longer needs it there.
    if (!runsHere(task, config.host)) {
      return yield* Effect.logInfo(`${task.id}: its agent runs on host ${task.host}, whose reap stops it`)
    }
    // What the agent started with nohup or setsid outlives its window: end it all first.
    if (task.attempt > 0) yield* Effect.flatMap(Host, (host) => host.endSession(sessionIdFor(task.id, task.attempt)))
    if (task.window_id !== null) {
      return yield* terminal.killWindow({ windowId: task.window_id, socket: task.tmux_socket })
    }
    if (task.attempt > 0) {
      yield* terminal.killWindowsNamed(task.id).pipe(
        Effect.catchAll((error) => Effect.logWarning(`${task.id}: could not look for an unrecorded window: ${error.message}`))
      )
    }
  })

/**
 * A status change asked for by a person or an agent, with what it implies for a running
 * window: `task ready` (rework, answered) stops the old agent first, so two agents never
 * work one task; `task cancel` stops it at once.
 */
export const changeStatus = (id: TaskId, move: Move, to: TaskStatus, change: Change, caller?: Caller) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    // An agent's report is fenced on its own attempt: a late one of an attempt since replaced
    // (its host lost its lease, it was reset and claimed again) changes nothing.
    let own: number | undefined
    if (move === "report" && caller !== undefined) {
      const task = yield* store.get(id)
      own = callerAttempt(task, caller)
      yield* recordOwnStart(task, caller)
    }
    if (move === "ready" || move === "retry") {
      const before = yield* store.get(id)
      const checked = checkTransition(id, before.status, move, to)
      if (Either.isLeft(checked)) return yield* checked.left
      yield* stopAgent(before)
      // Only if nothing (a late commit recording a window) changed since the agent was stopped.
      return (yield* store.move(id, move, to, change, { rev: before.rev })).after
    }
    const { after, before } = yield* store.move(id, move, to, change, own === undefined ? {} : { attempt: own })
    // The row the move changed says which window to stop, not an earlier read.
    if (move === "cancel") {
      yield* stopAgent(before).pipe(
        Effect.catchAll((error) => Effect.logWarning(`${id}: cancelled, but its window could not be killed: ${error.message}`))
      )
    }
    return after
  }).pipe(Effect.withSpan("Tasks.changeStatus"))

/**
 * `hub task retry`: failed → ready. The next attempt keeps the task's worktree and, where its
 * agent can, continues the last conversation; with `fresh`, it starts a new one (the worktree
 * and its work still stay: hub removes a worktree only through cleanup's guards). The
 * conversations are forgotten before the move, so no dispatch between the two can resume one.
 */
export const retryTask = (id: TaskId, change: Change, options: { readonly fresh: boolean }) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    if (options.fresh) {
      const before = yield* store.get(id)
      const checked = checkTransition(id, before.status, "retry", "ready")
      if (Either.isLeft(checked)) return yield* checked.left
      yield* store.forgetConversations(id)
    }
    return yield* changeStatus(id, "retry", "ready", change)
  }).pipe(Effect.withSpan("Tasks.retry"))
