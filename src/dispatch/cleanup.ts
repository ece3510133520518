import { Clock, Duration, Effect } from "effect"
import { HubConfig } from "../config.js"
import { runsHere } from "../domain/hostLease.js"
import { FINISHED, isFinished } from "../domain/transitions.js"
import { TaskStore } from "../store/TaskStore.js"
import { Workspace } from "../workspace/Workspace.js"

export interface CleanupEntry {
  readonly taskId: string
  readonly dir: string
  readonly action: "removed" | "kept" | "would-remove"
  readonly why: string
}

/**
 * Removes worktrees of this host's terminal tasks (worktrees are local) older than `olderThan`, but only those that hold no
 * uncommitted or untracked file and whose every commit is on their upstream. It touches
 * nothing else under HUB_HOME.
 */
export const cleanup = (options: { readonly olderThan: Duration.DurationInput; readonly dryRun: boolean }) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const workspace = yield* Workspace
    const config = yield* HubConfig
    const now = yield* Clock.currentTimeMillis
    const limit = Duration.toMillis(options.olderThan)
    const entries: Array<CleanupEntry> = []
    const tasks = yield* store.list({ all: true, statuses: FINISHED })
    for (const task of tasks) {
      if (!isFinished(task.status) || task.workspace === null || !runsHere(task, config.host)) continue
      const dir = task.workspace
      if (!(yield* workspace.exists(dir))) continue
      if (now - Date.parse(task.updated_at) < limit) continue
      const verdict = task.repo === null
        ? { keep: true as const, why: "not a git worktree (no repo)" }
        : yield* workspace.inspect(dir).pipe(Effect.catchAll((e) => Effect.succeed({ keep: true as const, why: `cannot inspect: ${e.message}` })))
      if (verdict.keep) {
        entries.push({ taskId: task.id, dir, action: "kept", why: verdict.why })
        continue
      }
      if (options.dryRun) {
        entries.push({ taskId: task.id, dir, action: "would-remove", why: "clean and pushed" })
        continue
      }
      yield* workspace.remove(task.id, task.repo, dir)
      entries.push({ taskId: task.id, dir, action: "removed", why: "clean and pushed" })
      yield* Effect.logInfo(`cleanup ${task.id}: removed ${dir}`)
    }
    return entries
  }).pipe(Effect.withSpan("Dispatch.cleanup"))
