import { Schema } from "effect"

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

/** The database could not be opened, read or written. */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  message: Schema.String
}) {}

export class RepoError extends Schema.TaggedError<RepoError>()("RepoError", {
  repo: Schema.String,
  message: Schema.String
}) {}

export class WorktreeError extends Schema.TaggedError<WorktreeError>()("WorktreeError", {
  taskId: Schema.String,
  message: Schema.String
}) {}

export class TmuxError extends Schema.TaggedError<TmuxError>()("TmuxError", {
  message: Schema.String
}) {}

/** A dispatch step failed; `step` names which (claim, worktree, trust, window, commit). */
export class DispatchError extends Schema.TaggedError<DispatchError>()("DispatchError", {
  taskId: Schema.String,
  step: Schema.String,
  message: Schema.String
}) {}

/** Something a pre-flight check found missing before any task was claimed. */
export class PreflightError extends Schema.TaggedError<PreflightError>()("PreflightError", {
  message: Schema.String
}) {}
