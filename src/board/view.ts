/**
 * What the page is sent: plain JSON built from the store's tasks. The board owns no rule of
 * its own: which buttons a card has is read off the transition table.
 */
import { Schema } from "effect"
import { Task, type TaskEvent, type TaskStatus } from "../domain/Task.js"
import { isAllowed } from "../domain/transitions.js"
import type { StoredTask } from "../store/TaskStore.js"

/** The page's buttons, each a move of the table from a person. */
export const ACTIONS = {
  ready: { move: "ready", to: "ready" },
  cancel: { move: "cancel", to: "cancelled" },
  retry: { move: "retry", to: "ready" }
} as const
export type Action = keyof typeof ACTIONS

export const isAction = (name: string): name is Action => Object.hasOwn(ACTIONS, name)

/** The actions the table allows from `status`, in the page's order. */
export const actionsFor = (status: TaskStatus): ReadonlyArray<Action> =>
  (Object.keys(ACTIONS) as Array<Action>).filter((name) => isAllowed(status, ACTIONS[name].move, ACTIONS[name].to))

export interface Card {
  readonly id: string
  readonly title: string
  readonly kind: string
  readonly status: TaskStatus
  readonly repo: string | null
  /** A task's priority when the store keeps one (null otherwise). */
  readonly priority: number | string | null
  readonly agent_state: string | null
  readonly agent_state_at: string | null
  readonly updated_at: string
  readonly actions: ReadonlyArray<Action>
}

/** A field another version of the store may add (priority): read if it is there. */
const priorityOf = (task: object): number | string | null => {
  const value = (task as { readonly priority?: unknown }).priority
  return typeof value === "number" || typeof value === "string" ? value : null
}

export const cardOf = (task: StoredTask): Card => ({
  id: task.id,
  title: task.title,
  kind: task.kind,
  status: task.status,
  repo: task.repo,
  priority: priorityOf(task),
  agent_state: task.agent_state,
  agent_state_at: task.agent_state_at,
  updated_at: task.updated_at,
  actions: actionsFor(task.status)
})

/** The task as `hub task show --json` has it: the store's bookkeeping (rev …) stays inside. */
const visible = Schema.encodeSync(Task)

export const detailOf = (task: StoredTask, events: ReadonlyArray<TaskEvent>) => ({
  task: { ...visible(task), priority: priorityOf(task) },
  events,
  actions: actionsFor(task.status)
})
