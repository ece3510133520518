import { Clock, Duration, Effect } from "effect"
import type { Task } from "../domain/Task.js"
import { sessionIdFor } from "../agent/session.js"
import { runsHere } from "../domain/hostLease.js"
import { ownsAgent } from "../domain/transitions.js"
import { HubConfig } from "../config.js"
import { Host } from "../host/Host.js"
import { TaskStore } from "../store/TaskStore.js"
import { TASK_WINDOW, Terminal } from "../terminal/Terminal.js"

export interface Reaped {
  readonly windowId: string
  readonly taskId: string
  readonly why: string
}

/**
 * Kills hub windows (on this host's tmux) whose task can no longer have an agent here: the
 * task is gone or in a status that owns none (backlog, ready, done, failed, cancelled), its
 * current attempt runs on another host (this one lost it, see hostLease.ts), or it has been in
 * review for longer than `after`.
 */
export const reap = (options: { readonly after: Duration.DurationInput }) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const terminal = yield* Terminal
    const host = yield* Host
    const config = yield* HubConfig
    const now = yield* Clock.currentTimeMillis
    const grace = Duration.toMillis(options.after)
    const seen = yield* terminal.probe(terminal.socket)
    if (seen._tag === "NoServer") return []
    const windows = new Map<string, string>()
    for (const pane of seen.panes) {
      if (pane.session === terminal.session && TASK_WINDOW.test(pane.windowName)) windows.set(pane.windowId, pane.windowName)
    }
    if (windows.size === 0) return []
    const tasks = new Map<string, Task>((yield* store.list({ all: true })).map((t) => [t.id, t]))
    const reaped: Array<Reaped> = []
    for (const [windowId, name] of windows) {
      const task = tasks.get(name)
      const why = task === undefined
        ? "no such task"
        : !ownsAgent(task.status)
        ? `task is ${task.status}`
        : !runsHere(task, config.host)
        ? `its current attempt runs on host ${task.host}`
        : task.status === "in-review" && now - Date.parse(task.updated_at) >= grace
        ? `in review for more than ${Duration.format(Duration.millis(grace))}`
        : null
      if (why === null) continue
      // The current attempt's processes, when it is this host's (another host's are not here).
      if (task !== undefined && task.attempt > 0 && runsHere(task, config.host)) yield* host.endSession(sessionIdFor(task.id, task.attempt))
      yield* terminal.killWindow({ windowId, socket: terminal.socket })
      reaped.push({ windowId, taskId: name, why })
      yield* Effect.logInfo(`reap ${name}: killed window ${windowId} (${why})`)
    }
    return reaped
  }).pipe(Effect.withSpan("Dispatch.reap"))
