import { Either } from "effect"
import { InvalidTransition } from "./errors.js"
import type { TaskStatus } from "./Task.js"

/** The ways a status can change. `create` is how a task enters the graph at all. */
export type Move =
  | "ready" // hub task ready (human)
  | "cancel" // hub task cancel
  | "retry" // hub task retry
  | "report" // hub task report (agent or human)
  | "claim" // the dispatcher takes a ready task
  | "rollback" // a dispatch undoes its claim
  | "reconcile" // the reconciler repairs what no finalizer could

/**
 * The one table that says which status may follow which, and through which move. The CLI,
 * dispatch and reconcile all ask it; anything not listed is an InvalidTransition.
 */
export const TRANSITIONS: ReadonlyArray<readonly [from: TaskStatus, move: Move, to: ReadonlyArray<TaskStatus>]> = [
  ["backlog", "ready", ["ready"]],
  ["backlog", "cancel", ["cancelled"]],
  ["ready", "claim", ["in-progress"]],
  ["ready", "cancel", ["cancelled"]],
  ["in-progress", "rollback", ["ready", "failed"]],
  ["in-progress", "report", ["in-review", "blocked", "done", "failed"]],
  ["in-progress", "reconcile", ["ready", "in-review", "failed"]],
  ["in-progress", "cancel", ["cancelled"]],
  ["blocked", "report", ["in-progress", "in-review", "done"]],
  ["blocked", "ready", ["ready"]],
  ["blocked", "cancel", ["cancelled"]],
  ["in-review", "report", ["done", "blocked"]],
  ["in-review", "ready", ["ready"]],
  ["in-review", "cancel", ["cancelled"]],
  ["failed", "retry", ["ready"]],
  ["failed", "cancel", ["cancelled"]]
]

export const isAllowed = (from: TaskStatus, move: Move, to: TaskStatus): boolean =>
  TRANSITIONS.some(([f, m, targets]) => f === from && m === move && targets.includes(to))

/** Every edge of the graph, whatever the move: what the history may ever show. */
export const isEdge = (from: TaskStatus, to: TaskStatus): boolean =>
  TRANSITIONS.some(([f, , targets]) => f === from && targets.includes(to))

const MOVE_NAMES: Record<Move, string> = {
  ready: "task ready",
  cancel: "task cancel",
  retry: "task retry",
  report: "task report",
  claim: "claim",
  rollback: "rollback",
  reconcile: "reconcile"
}

export const checkTransition = (
  taskId: string,
  from: TaskStatus,
  move: Move,
  to: TaskStatus
): Either.Either<void, InvalidTransition> =>
  isAllowed(from, move, to)
    ? Either.void
    : Either.left(
      new InvalidTransition({
        taskId,
        from,
        to,
        message: `${taskId}: cannot move from ${from} to ${to} (${MOVE_NAMES[move]})`
      })
    )
