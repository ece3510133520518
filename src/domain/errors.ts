import { Schema } from "effect"
import { TaskId } from "./TaskId.js"

/**
 * Every error carries a `message`: the CLI prints it as `hub: <message>` and Cause.pretty
 * shows it. Errors that refuse an operation (exit 1) are distinguished from faults of the
 * machinery (git, tmux, SQLite) by their tag, never by their text.
 */

/** A value a person or a script typed that the domain rejects (bad id, status, repo name). */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  message: Schema.String
}) {}

export class TaskNotFound extends Schema.TaggedError<TaskNotFound>()("TaskNotFound", {
  taskId: Schema.String,
  message: Schema.String
}) {
  static of(taskId: string) {
    return new TaskNotFound({ taskId, message: `no such task: ${taskId}` })
  }
}

export class InvalidTransition extends Schema.TaggedError<InvalidTransition>()("InvalidTransition", {
  taskId: Schema.String,
  from: Schema.String,
  to: Schema.String,
  message: Schema.String
}) {}

/** `hub task edit` of a task an agent has taken (or that is finished): only backlog and ready ones change. */
export class NotEditable extends Schema.TaggedError<NotEditable>()("NotEditable", {
  taskId: Schema.String,
  status: Schema.String,
  message: Schema.String
}) {}

/** The database could not be opened, read or written. */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  message: Schema.String
}) {}

/** A repo could not be added or read; `repo` names it when it was one repo. */
export class RepoError extends Schema.TaggedError<RepoError>()("RepoError", {
  repo: Schema.optional(Schema.String),
  message: Schema.String
}) {}

/** git failed; `taskId` names the task whose worktree it was, when it was one task's. */
export class WorktreeError extends Schema.TaggedError<WorktreeError>()("WorktreeError", {
  taskId: Schema.optional(TaskId),
  message: Schema.String
}) {}

export class TmuxError extends Schema.TaggedError<TmuxError>()("TmuxError", {
  message: Schema.String
}) {}

/** The agent's run folder, its trust entry or its executable: what hub prepares for an agent. */
export class AgentError extends Schema.TaggedError<AgentError>()("AgentError", {
  message: Schema.String
}) {}

/** A bug rather than a fault of git, tmux or SQLite, kept as it was thrown. */
export class Defect extends Schema.TaggedError<Defect>()("Defect", {
  message: Schema.String,
  defect: Schema.Defect
}) {}

/** The steps of a dispatch, in order. */
export const DispatchStep = Schema.Literal("claim", "worktree", "trust", "window", "commit")
export type DispatchStep = typeof DispatchStep.Type

/**
 * A dispatch step failed. `taskId` is absent when nothing was claimed; `cause` is what went
 * wrong in the step (a WorktreeError stays one), absent when the commit found its attempt gone.
 */
export class DispatchError extends Schema.TaggedError<DispatchError>()("DispatchError", {
  taskId: Schema.optional(TaskId),
  step: DispatchStep,
  message: Schema.String,
  cause: Schema.optional(Schema.Union(StoreError, WorktreeError, TmuxError, AgentError, Defect))
}) {}

/** Something a pre-flight check found missing before any task was claimed. */
export class PreflightError extends Schema.TaggedError<PreflightError>()("PreflightError", {
  message: Schema.String
}) {}
