import { Schema } from "effect"
import { AgentState } from "./AgentState.js"
import { AUTHOR_VALUES, KIND_VALUES, PRIORITY_VALUES, STATUS_VALUES } from "./literals.js"
import { TaskId } from "./TaskId.js"
import { Usage } from "./Usage.js"

export const TaskStatus = Schema.Literal(...STATUS_VALUES)
export type TaskStatus = typeof TaskStatus.Type
export const TASK_STATUSES: ReadonlyArray<TaskStatus> = TaskStatus.literals

export const TaskKind = Schema.Literal(...KIND_VALUES)
export type TaskKind = typeof TaskKind.Type

/** The claim takes the highest priority first, then the oldest (seq). */
export const TaskPriority = Schema.Literal(...PRIORITY_VALUES)
export type TaskPriority = typeof TaskPriority.Type

export const Author = Schema.Literal(...AUTHOR_VALUES)
export type Author = typeof Author.Type

/** Who made a status change: recorded on every event row. */
export const Actor = Schema.Literal("human", "agent", "dispatcher", "reconciler")
export type Actor = typeof Actor.Type

/** `owner/name`, each part a GitHub-like name; no `..`, so it is safe as two path segments. */
export const RepoName = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9_][A-Za-z0-9_.-]*\/[A-Za-z0-9_][A-Za-z0-9_.-]*$/),
  Schema.filter((s) => !s.split("/").some((part) => part === "." || part === ".." || part.endsWith(".git")), {
    message: () => "a repo part may not be '.', '..' or end in .git"
  }),
  Schema.brand("RepoName")
)
export type RepoName = typeof RepoName.Type

export const Comment = Schema.Struct({
  author: Author,
  text: Schema.String,
  at: Schema.String
})
export type Comment = typeof Comment.Type

export const Title = Schema.String.pipe(
  Schema.filter((s) => s.trim().length > 0, { message: () => "the title may not be empty" })
)

/**
 * A task as the store holds it. The JSON form (`--json`) uses these snake_case names, which
 * scripts rely on: keep them.
 */
export const Task = Schema.Struct({
  id: TaskId,
  title: Schema.String,
  kind: TaskKind,
  status: TaskStatus,
  description: Schema.String,
  repo: Schema.NullOr(Schema.String),
  links: Schema.Array(Schema.String),
  comments: Schema.Array(Comment),
  attempt: Schema.Number,
  session_id: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  window_id: Schema.NullOr(Schema.String),
  pane_pid: Schema.NullOr(Schema.Number),
  tmux_socket: Schema.NullOr(Schema.String),
  tmux_session: Schema.NullOr(Schema.String),
  workspace: Schema.NullOr(Schema.String),
  /** 1 when the current attempt created the worktree (so an undo may remove it). */
  workspace_fresh: Schema.Boolean,
  lease_pid: Schema.NullOr(Schema.Number),
  lease_start: Schema.NullOr(Schema.String),
  started_at: Schema.NullOr(Schema.String),
  created_at: Schema.String,
  updated_at: Schema.String,
  /** What the current attempt's agent is doing (null while no attempt has a window). */
  agent_state: Schema.NullOr(AgentState),
  /** When `agent_state` last changed. */
  agent_state_at: Schema.NullOr(Schema.String),
  agent_state_reason: Schema.NullOr(Schema.String),
  /** Tokens the task's agents used, summed over its attempts (read from their transcripts). */
  usage: Usage,
  /** The machine (HUB_HOST) the current attempt runs on, or ran on; null until the first claim. */
  host: Schema.NullOr(Schema.String),
  /** How soon dispatch takes it (issue 13): high, then normal, then low; the oldest first. */
  priority: TaskPriority,
  /** The tasks this one waits for: it is not claimed until every one of them is `done`. Fixed at creation. */
  after: Schema.Array(TaskId)
})
export type Task = typeof Task.Type

export const TaskEvent = Schema.Struct({
  id: Schema.Number,
  task_id: TaskId,
  attempt: Schema.Number,
  from: Schema.NullOr(TaskStatus),
  to: TaskStatus,
  actor: Actor,
  reason: Schema.String,
  at: Schema.String
})
export type TaskEvent = typeof TaskEvent.Type
