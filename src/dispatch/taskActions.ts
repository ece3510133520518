import { Effect, Either } from "effect"
import type { Change, StoredTask } from "../store/TaskStore.js"
import { TaskStore } from "../store/TaskStore.js"
import type { TaskStatus } from "../domain/Task.js"
import type { TaskId } from "../domain/TaskId.js"
import { checkTransition, type Move } from "../domain/transitions.js"
import { Terminal } from "../terminal/Terminal.js"

/**
 * Stops whatever agent window a task may have. A window that was never recorded (its
 * dispatcher died after opening it, or its agent reported before the commit) is found by
 * name; failing to look for one is a warning, since none is known to exist.
 */
const stopAgent = (task: StoredTask) =>
  Effect.gen(function* () {
    const terminal = yield* Terminal
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
export const changeStatus = (id: TaskId, move: Move, to: TaskStatus, change: Change) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    if (move === "ready" || move === "retry") {
      const before = yield* store.get(id)
      const checked = checkTransition(id, before.status, move, to)
      if (Either.isLeft(checked)) return yield* checked.left
      yield* stopAgent(before)
      // Only if nothing (a late commit recording a window) changed since the agent was stopped.
      return (yield* store.move(id, move, to, change, { rev: before.rev })).after
    }
    const { after, before } = yield* store.move(id, move, to, change)
    // The row the move changed says which window to stop, not an earlier read.
    if (move === "cancel") {
      yield* stopAgent(before).pipe(
        Effect.catchAll((error) => Effect.logWarning(`${id}: cancelled, but its window could not be killed: ${error.message}`))
      )
    }
    return after
  }).pipe(Effect.withSpan("Tasks.changeStatus"))
