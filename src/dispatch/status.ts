import { Clock, Effect } from "effect"
import { HubConfig } from "../config.js"
import { hostLost, runsHere } from "../domain/hostLease.js"
import { Host } from "../host/Host.js"
import type { AgentState } from "../domain/AgentState.js"
import type { Dependency } from "../domain/dependencies.js"
import type { Task, TaskPriority, TaskStatus } from "../domain/Task.js"
import type { Usage } from "../domain/Usage.js"
import { ownsAgent, UNFINISHED } from "../domain/transitions.js"
import { TaskStore } from "../store/TaskStore.js"
import { TASK_WINDOW, Terminal } from "../terminal/Terminal.js"
import { Workspace } from "../workspace/Workspace.js"
import { observeAgent } from "./agentState.js"
import { describeDead, makeProber } from "./liveness.js"
import { followUsage } from "./usage.js"

export interface StatusRow {
  readonly id: string
  readonly title: string
  readonly status: TaskStatus
  readonly priority: TaskPriority
  /** For a task not yet started: its dependencies that are not done (what it waits for). */
  readonly waiting_on: ReadonlyArray<Dependency>
  readonly attempt: number
  readonly window_id: string | null
  readonly pane_pid: number | null
  /** The host (HUB_HOST) of the current attempt; null until the first claim. */
  readonly host: string | null
  /**
   * For in-progress tasks: what tmux says; `dispatching` while a dispatch holds the lease;
   * `elsewhere` when the attempt runs on another host (its tmux is not ours to ask; the detail
   * says how its host's lease stands).
   */
  readonly liveness: "alive" | "dead" | "unknown" | "dispatching" | "elsewhere" | null
  readonly detail: string | null
  /** Seconds since the agent started (in-progress) or since the last change. */
  readonly age_seconds: number
  /** What the agent is doing (see the task JSON), and since when. */
  readonly agent_state: AgentState | null
  readonly agent_state_at: string | null
  readonly agent_state_reason: string | null
  /** Seconds since the agent last showed life (a hook, or output in its window); null when unknown. */
  readonly active_seconds: number | null
  /** Tokens the task's agents used, over its attempts (the task JSON's `usage`). */
  readonly usage: Usage
}

/**
 * Every non-terminal task, and for this host's in-progress ones what tmux says beside what the
 * store says; another host's in-progress tasks with that host and how its lease stands.
 */
export const status = Effect.gen(function* () {
  const store = yield* TaskStore
  const host = yield* Host
  const config = yield* HubConfig
  const prober = yield* makeProber
  const now = yield* Clock.currentTimeMillis
  // The tokens each task's agents used so far, current without a daemon (as the state is).
  yield* followUsage(prober)
  const tasks = (yield* store.list({ all: true, statuses: UNFINISHED }))
  const leases = new Map((yield* store.hostLeases).map((lease) => [lease.name, lease.renewed_at]))
  const unmet = yield* store.unmetDependencies()
  const rows: Array<StatusRow> = []
  for (const task of tasks) {
    const since = Date.parse(task.status === "in-progress" && task.started_at ? task.started_at : task.updated_at)
    const seconds = (at: number) => Math.max(0, Math.round((now - at) / 1000))
    const base = {
      id: task.id,
      title: task.title,
      status: task.status,
      priority: task.priority,
      waiting_on: unmet.get(task.id) ?? [],
      attempt: task.attempt,
      window_id: task.window_id,
      pane_pid: task.pane_pid,
      host: task.host,
      age_seconds: seconds(since),
      agent_state: task.agent_state,
      agent_state_at: task.agent_state_at,
      agent_state_reason: task.agent_state_reason,
      active_seconds: task.agent_active_at === null ? null : seconds(Date.parse(task.agent_active_at)),
      usage: task.usage
    }
    if (task.status !== "in-progress") {
      rows.push({ ...base, liveness: null, detail: null })
      continue
    }
    if (!runsHere(task, config.host)) {
      rows.push({ ...base, liveness: "elsewhere", detail: elsewhere(task, leases.get(task.host ?? "") ?? null, now, config.hostLeaseMs) })
      continue
    }
    if (yield* host.isLeaseLive(task)) {
      rows.push({ ...base, liveness: "dispatching", detail: `dispatch in flight (pid ${task.lease_pid})` })
      continue
    }
    const live = yield* prober.livenessOf(task)
    // A live agent: what its hooks said since the last look, and its window's last output.
    const agent = live._tag === "alive" ? yield* observeAgent(task) : undefined
    const lastSign = agent === undefined
      ? undefined
      : Math.max(Date.parse(agent.activeAt), live._tag === "alive" && live.pane.activityAt ? Date.parse(live.pane.activityAt) : 0)
    rows.push({
      ...base,
      ...(agent === undefined ? {} : {
        agent_state: agent.state,
        agent_state_at: agent.since,
        agent_state_reason: agent.reason,
        active_seconds: lastSign === undefined ? null : seconds(lastSign)
      }),
      liveness: live._tag,
      detail: live._tag === "alive" ? null : live._tag === "unknown" ? live.why : describeDead(live.why, live.status)
    })
  }
  return rows
}).pipe(Effect.withSpan("Dispatch.status"))

/** Where another host's task runs, and whether that host still holds it. */
const elsewhere = (task: Task & { readonly claimed_at: string | null }, renewedAt: string | null, now: number, leaseMs: number) => {
  const signs = { host: task.host ?? "", renewedAt, claimedAt: task.claimed_at }
  const renewed = renewedAt === null ? "never renewed its lease" : `lease renewed ${ago(now, renewedAt)}`
  return hostLost(signs, now, leaseMs)
    ? `on host ${signs.host}, which lost its lease (${renewed}): the next reconcile returns it to ready`
    : `on host ${signs.host} (${renewed})`
}

const ago = (now: number, at: string) => `${Math.max(0, Math.round((now - Date.parse(at)) / 1000))}s ago`


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
  const config = yield* HubConfig
  const prober = yield* makeProber
  const violations: Array<Violation> = []
  const tasks = yield* store.list({ all: true })
  const byId = new Map<string, Task>(tasks.map((t) => [t.id, t]))

  for (const task of yield* store.inProgress) {
    // Another host's attempt: its tmux is not here to ask.
    if (!runsHere(task, config.host)) continue
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
      const owns = task !== undefined && ownsAgent(task.status) && runsHere(task, config.host)
      if (!owns) {
        const whose = task === undefined
          ? "no task"
          : ownsAgent(task.status)
          ? `a task whose current attempt runs on host ${task.host}`
          : `a ${task.status} task`
        violations.push({
          kind: "window-without-task",
          subject: pane.windowId,
          message: `live window ${pane.windowId} (${pane.windowName}) belongs to ${whose}`
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
