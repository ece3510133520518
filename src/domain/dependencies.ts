import type { TaskStatus } from "./Task.js"
import type { TaskId } from "./TaskId.js"

/**
 * The one status that lets a dependent task be claimed. Done is final (the transition table
 * leads nowhere out of it), so a dependency met stays met; a `failed` or `cancelled` one keeps
 * its dependents waiting until a person retries it or cancels them.
 */
export const DEPENDENCY_MET: TaskStatus = "done"

/** A task another one waits for, with the status it has now. */
export interface Dependency {
  readonly id: TaskId
  readonly status: TaskStatus
}

/** What `hub task show`, `task list` and `hub status` say of a task whose dependencies are not all done. */
export const waitingText = (unmet: ReadonlyArray<Dependency>): string | undefined =>
  unmet.length === 0 ? undefined : `waiting on ${unmet.map((d) => `${d.id} (${d.status})`).join(", ")}`
