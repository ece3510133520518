import { Effect, Either } from "effect"
import type { Change } from "../store/TaskStore.js"
import { TaskStore } from "../store/TaskStore.js"
import type { TaskStatus } from "../domain/Task.js"
import type { TaskId } from "../domain/TaskId.js"
import { checkTransition, type Move } from "../domain/transitions.js"
import { Terminal } from "../terminal/Terminal.js"

/**
 * A status change asked for by a person or an agent, with what it implies for a running
 * window: `task ready` (rework, answered) stops the old agent first, so two agents never
 * work one task; `task cancel` stops it at once.
 */
export const changeStatus = (id: TaskId, move: Move, to: TaskStatus, change: Change) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const terminal = yield* Terminal
    const before = yield* store.get(id)
    const checked = checkTransition(id, before.status, move, to)
    if (Either.isLeft(checked)) return yield* checked.left
    const window = before.window_id === null ? null : { windowId: before.window_id, socket: before.tmux_socket }
    if (window !== null && (move === "ready" || move === "retry")) {
      yield* terminal.killWindow(window)
    }
    const { after } = yield* store.move(id, move, to, change)
    if (window !== null && move === "cancel") {
      yield* terminal.killWindow(window).pipe(
        Effect.catchAll((error) => Effect.logWarning(`${id}: cancelled, but its window could not be killed: ${error.message}`))
      )
    }
    return after
  }).pipe(Effect.withSpan("Tasks.changeStatus"))
