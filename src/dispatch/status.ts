import { Clock, Effect } from "effect"
import { Host } from "../host/Host.js"
import { isTerminal, type Task, TaskStatus } from "../domain/Task.js"
import { TaskStore } from "../store/TaskStore.js"
import { TASK_WINDOW, Terminal } from "../terminal/Terminal.js"
import { Workspace } from "../workspace/Workspace.js"
import { describeDead, makeProber } from "./liveness.js"

export interface StatusRow {
  readonly id: string
  readonly title: string
  readonly status: TaskStatus
  readonly attempt: number
  readonly window_id: string | null
  readonly pane_pid: number | null
  /** For in-progress tasks: what tmux says; `dispatching` while a dispatch holds the lease. */
  readonly liveness: "alive" | "dead" | "unknown" | "dispatching" | null
  readonly detail: string | null
  /** Seconds since the agent started (in-progress) or since the last change. */
  readonly age_seconds: number
}

/** Every non-terminal task, and for in-progress ones what tmux says beside what the store says. */
export const status = Effect.gen(function* () {
  const store = yield* TaskStore
  const host = yield* Host
  const prober = yield* makeProber
  const now = yield* Clock.currentTimeMillis
  const tasks = (yield* store.list({ all: true, statuses: TaskStatus.literals.filter((s) => !isTerminal(s)) }))
  const rows: Array<StatusRow> = []
  for (const task of tasks) {
    const since = Date.parse(task.status === "in-progress" && task.started_at ? task.started_at : task.updated_at)
    const base = {
      id: task.id,
      title: task.title,
      status: task.status,
      attempt: task.attempt,
      window_id: task.window_id,
      pane_pid: task.pane_pid,
      age_seconds: Math.max(0, Math.round((now - since) / 1000))
    }
    if (task.status !== "in-progress") {
      rows.push({ ...base, liveness: null, detail: null })
      continue
    }
    if (yield* host.isLeaseLive(task)) {
      rows.push({ ...base, liveness: "dispatching", detail: `dispatch in flight (pid ${task.lease_pid})` })
      continue
    }
    const live = yield* prober.livenessOf(task)
    rows.push({
      ...base,
      liveness: live._tag,
      detail: live._tag === "alive" ? null : live._tag === "unknown" ? live.why : describeDead(live.why, live.status)
    })
  }
  return rows
}).pipe(Effect.withSpan("Dispatch.status"))


export interface Violation {
  readonly kind: "in-progress-without-agent" | "window-without-task" | "workspace-without-task"
  readonly subject: string
  readonly message: string
}

/** Checks hub's invariants and repairs nothing: reconcile does. */
export const verify = Effect.gen(function* () {
  const store = yield* TaskStore
  const terminal = yield* Terminal
  const workspace = yield* Workspace
  const host = yield* Host
  const prober = yield* makeProber
  const violations: Array<Violation> = []
  const tasks = yield* store.list({ all: true })
  const byId = new Map<string, Task>(tasks.map((t) => [t.id, t]))

  for (const task of yield* store.inProgress) {
    if (yield* host.isLeaseLive(task)) continue
    const live = yield* prober.livenessOf(task)
    if (live._tag !== "alive") {
      violations.push({
        kind: "in-progress-without-agent",
        subject: task.id,
        message: `${task.id} is in-progress without a live agent: ${
          live._tag === "dead" ? describeDead(live.why, live.status) : `tmux did not answer (${live.why})`
        }`
      })
    }
  }

  const probe = yield* prober.probe(terminal.socket)
  if (typeof probe !== "string" && probe._tag === "Some" && probe.value._tag === "Running") {
    for (const pane of probe.value.panes) {
      if (pane.session !== terminal.session || !TASK_WINDOW.test(pane.windowName) || pane.dead) continue
      const task = byId.get(pane.windowName)
      const owns = task !== undefined && ["in-progress", "blocked", "in-review"].includes(task.status)
      if (!owns) {
        violations.push({
          kind: "window-without-task",
          subject: pane.windowId,
          message: `live window ${pane.windowId} (${pane.windowName}) belongs to ${task ? `a ${task.status} task` : "no task"}`
        })
      }
    }
  } else if (typeof probe === "string") {
    violations.push({ kind: "window-without-task", subject: "tmux", message: `cannot list tmux windows: ${probe}` })
  }

  const dirs = yield* workspace.taskDirs
  for (const dir of dirs) {
    if (!byId.has(dir)) {
      violations.push({ kind: "workspace-without-task", subject: dir, message: `workspace ${dir} has no task` })
    }
  }
  return violations
}).pipe(Effect.withSpan("Dispatch.verify"))
