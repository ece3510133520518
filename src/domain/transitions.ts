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
  | "policy" // the reconciler acts on what a live agent is doing (AgentState.agentPolicy)

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
  ["in-progress", "policy", ["blocked", "in-review"]],
  ["in-progress", "cancel", ["cancelled"]],
  ["blocked", "report", ["in-progress", "in-review", "done"]],
  ["blocked", "policy", ["in-progress"]],
  ["blocked", "ready", ["ready"]],
  ["blocked", "cancel", ["cancelled"]],
  ["in-review", "report", ["done", "blocked"]],
  ["in-review", "ready", ["ready"]],
  ["in-review", "cancel", ["cancelled"]],
  ["failed", "retry", ["ready"]],
  ["failed", "cancel", ["cancelled"]]
]

/** The statuses `move` may start from, in table order. */
export const fromStatuses = (move: Move): ReadonlyArray<TaskStatus> =>
  unique(TRANSITIONS.filter(([, m]) => m === move).map(([from]) => from))

/** The statuses `move` may lead to, from whichever status. */
export const toStatuses = (move: Move): ReadonlyArray<TaskStatus> =>
  unique(TRANSITIONS.flatMap(([, m, targets]) => (m === move ? targets : [])))

/** `from` and every status reached from it by one or more `move`s in a row. */
export const reachable = (from: ReadonlyArray<TaskStatus>, move: Move): ReadonlyArray<TaskStatus> => {
  const seen = [...from]
  for (let i = 0; i < seen.length; i++) {
    for (const [f, m, targets] of TRANSITIONS) {
      if (f === seen[i] && m === move) seen.push(...targets.filter((t) => !seen.includes(t)))
    }
  }
  return seen
}

const unique = (statuses: ReadonlyArray<TaskStatus>): ReadonlyArray<TaskStatus> => [...new Set(statuses)]

/** The one status `move` leads to; the table giving it two is a programming error. */
const onlyTarget = (move: Move): TaskStatus => {
  const [target, ...more] = toStatuses(move)
  if (target === undefined || more.length > 0) throw new Error(`the move ${move} must lead to exactly one status`)
  return target
}

// The status sets the store's SQL is written with, each read off the table.

/** Every status the table names (all eight: a test holds it to TaskStatus). */
const STATUSES: ReadonlyArray<TaskStatus> = unique(TRANSITIONS.flatMap(([from, , to]) => [from, ...to]))

/** What a claim takes (`ready`). */
export const CLAIMABLE: ReadonlyArray<TaskStatus> = fromStatuses("claim")
/** What a claim makes (`in-progress`): a task in it holds one of the dispatch cap's slots. */
export const CLAIMED: TaskStatus = onlyTarget("claim")
/** What a dispatch's undo applies to (the store adds: as long as no start is recorded). */
export const ROLLBACK_FROM: ReadonlyArray<TaskStatus> = fromStatuses("rollback")
/** What the reconciler looks at and repairs. */
export const RECONCILE_FROM: ReadonlyArray<TaskStatus> = fromStatuses("reconcile")
/**
 * Where a task goes when its host lost its lease (hostLease.ts): back to where a claim takes
 * from, by the reconciler's `reconcile` move from the claimed status.
 */
export const RECLAIM_MOVE: Move = "reconcile"
export const RECLAIM_TO: TaskStatus = (() => {
  const targets = TRANSITIONS.filter(([from, move]) => from === CLAIMED && move === RECLAIM_MOVE)
    .flatMap(([, , to]) => to)
    .filter((to) => CLAIMABLE.includes(to))
  const [target, ...more] = targets
  if (target === undefined || more.length > 0) throw new Error("the reclaim must lead back to exactly one claimable status")
  return target
})()

/**
 * Where a dispatch's commit may find its attempt: still claimed, or moved on by its own agent's
 * reports (an agent can report before its dispatcher commits), but never back to `ready` or
 * cancelled by a person.
 */
export const COMMITTABLE: ReadonlyArray<TaskStatus> = reachable([CLAIMED], "report")

/**
 * Done, failed, cancelled: nothing but a person's `retry` or `cancel` leads out of them, so no
 * agent works on the task and none will unless a person starts it over. `task list` hides the
 * old ones; cleanup may remove their worktrees.
 */
export const FINISHED: ReadonlyArray<TaskStatus> = STATUSES.filter(
  (status) => TRANSITIONS.every(([from, move]) => from !== status || move === "retry" || move === "cancel")
)
export const isFinished = (status: TaskStatus): boolean => FINISHED.includes(status)
/** Every other status: what `task list` always shows and `hub status` looks at. */
export const UNFINISHED: ReadonlyArray<TaskStatus> = STATUSES.filter((status) => !isFinished(status))

/**
 * In-progress, blocked, in-review: the claimed status and where its agent's reports lead, short
 * of finished. A live window of a task in any other status has no business running.
 */
export const AGENT_OWNING: ReadonlyArray<TaskStatus> = COMMITTABLE.filter((status) => !isFinished(status))
export const ownsAgent = (status: TaskStatus): boolean => AGENT_OWNING.includes(status)

/**
 * Backlog and ready: unfinished, and no agent works on the task, so the next agent to take it
 * reads it afresh. What `hub task edit` may change, and where a task can be waiting on its
 * dependencies (once claimed, they were all done, and done is final).
 */
export const NOT_STARTED: ReadonlyArray<TaskStatus> = UNFINISHED.filter((status) => !ownsAgent(status))
export const isNotStarted = (status: TaskStatus): boolean => NOT_STARTED.includes(status)

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
  reconcile: "reconcile",
  policy: "agent state policy"
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
