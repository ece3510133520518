import type { Actor, Comment, Task, TaskEvent, TaskKind, TaskStatus } from "../domain/Task.js"
import type { TaskId } from "../domain/TaskId.js"

/** A `tasks` row as SQLite returns it. */
export interface TaskRow {
  readonly seq: number
  readonly id: string
  readonly title: string
  readonly kind: string
  readonly status: string
  readonly description: string
  readonly repo: string | null
  readonly links: string
  readonly comments: string
  readonly attempt: number
  readonly session_id: string | null
  readonly error: string | null
  readonly window_id: string | null
  readonly pane_pid: number | null
  readonly tmux_socket: string | null
  readonly tmux_session: string | null
  readonly workspace: string | null
  readonly workspace_fresh: number
  readonly lease_pid: number | null
  readonly lease_start: string | null
  readonly started_at: string | null
  readonly rev: number
  readonly created_at: string
  readonly updated_at: string
}

/**
 * Rows are written only through the store, whose CHECK constraints keep kind and status
 * within their literals, so the mapping trusts them instead of decoding 100k rows.
 */
export const taskFromRow = (row: TaskRow): Task & { readonly rev: number } => ({
  id: row.id as TaskId,
  title: row.title,
  kind: row.kind as TaskKind,
  status: row.status as TaskStatus,
  description: row.description,
  repo: row.repo,
  links: JSON.parse(row.links) as Array<string>,
  comments: JSON.parse(row.comments) as Array<Comment>,
  attempt: row.attempt,
  session_id: row.session_id,
  error: row.error,
  window_id: row.window_id,
  pane_pid: row.pane_pid,
  tmux_socket: row.tmux_socket,
  tmux_session: row.tmux_session,
  workspace: row.workspace,
  workspace_fresh: row.workspace_fresh === 1,
  lease_pid: row.lease_pid,
  lease_start: row.lease_start,
  started_at: row.started_at,
  created_at: row.created_at,
  updated_at: row.updated_at,
  rev: row.rev
})

/** The columns of `hub task list`'s table. */
export type SummaryRow = Pick<TaskRow, "id" | "status" | "kind" | "repo" | "title">
export type TaskSummary = Pick<Task, "id" | "status" | "kind" | "repo" | "title">

/** Trusts kind and status as taskFromRow does. */
export const summaryFromRow = (row: SummaryRow): TaskSummary => ({
  id: row.id as TaskId,
  status: row.status as TaskStatus,
  kind: row.kind as TaskKind,
  repo: row.repo,
  title: row.title
})

export interface EventRow {
  readonly id: number
  readonly task_id: string
  readonly attempt: number
  readonly from_status: string | null
  readonly to_status: string
  readonly actor: string
  readonly reason: string
  readonly at: string
}

export const eventFromRow = (row: EventRow): TaskEvent => ({
  id: row.id,
  task_id: row.task_id as TaskId,
  attempt: row.attempt,
  from: row.from_status as TaskStatus | null,
  to: row.to_status as TaskStatus,
  actor: row.actor as Actor,
  reason: row.reason,
  at: row.at
})
