import { Clock, Effect, Option } from "effect"
import { Agent } from "../agent/Agent.js"
import { HubConfig } from "../config.js"
import { afterSignal, type AgentStatus, agentPolicy, startingAt } from "../domain/AgentState.js"
import { formatDurationMs } from "../domain/duration.js"
import type { TaskStatus } from "../domain/Task.js"
import { type StoredTask, TaskStore } from "../store/TaskStore.js"
import type { Pane } from "../terminal/Terminal.js"

/** The agent's status as the store last recorded it (`starting` since its start when none). */
const recorded = (task: StoredTask): AgentStatus =>
  task.agent_state !== null && task.agent_state_at !== null
    ? {
      state: task.agent_state,
      since: task.agent_state_at,
      reason: task.agent_state_reason ?? "",
      activeAt: task.agent_active_at ?? task.agent_state_at
    }
    : startingAt(task.started_at ?? task.updated_at)

/**
 * What the agent of a task's current attempt is doing now: the recorded status, moved on by
 * the signals its hooks left since the last read (in the order they happened). Recorded in the
 * store when anything changed; bookkeeping, not a status change.
 */
export const observeAgent = (task: StoredTask) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const agent = yield* Agent
    const before = recorded(task)
    const { read, signals } = yield* agent.signals(task.id, task.attempt, task.agent_signals_read)
    if (signals.length === 0 && read === task.agent_signals_read && task.agent_state !== null) return before
    const now = [...signals].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)).reduce(afterSignal, before)
    yield* store.observe({ id: task.id, attempt: task.attempt }, now, read)
    return now
  })

export interface PolicyAction {
  readonly from: TaskStatus
  readonly to: TaskStatus
  readonly reason: string
  /** False when the task moved between the look and the write: nothing was changed. */
  readonly applied: boolean
}

/**
 * The agent-state policies (AgentState.agentPolicy) for a task whose agent is alive in `pane`:
 * the move they ask for, applied as a compare-and-set on what was seen, or none.
 */
export const applyAgentPolicy = (task: StoredTask, agent: AgentStatus, pane: Pane) =>
  Effect.gen(function* () {
    const config = yield* HubConfig
    const store = yield* TaskStore
    const now = yield* Clock.currentTimeMillis
    const verdict = agentPolicy({
      status: task.status,
      blockedByAgentState: task.status === "blocked" && task.change_actor === "reconciler",
      agent,
      outputAt: pane.activityAt,
      now
    }, config)
    if (Option.isNone(verdict)) return Option.none<PolicyAction>()
    const { reason, state, to } = verdict.value
    const at = new Date(now).toISOString()
    const next: AgentStatus = state === undefined
      ? agent
      : {
        state,
        since: at,
        reason: state === "stalled" ? `no hook and no output for ${formatDurationMs(config.stallAfterMs)}` : "new output",
        activeAt: state === "stalled" ? agent.activeAt : (pane.activityAt ?? at)
      }
    const applied = yield* store.applyPolicy(
      { id: task.id, attempt: task.attempt, windowId: task.window_id, from: task.status, rev: task.rev },
      to,
      reason,
      next
    )
    yield* Effect.logInfo(`reconcile ${task.id}#${task.attempt}: ${applied ? `${task.status} → ${to}` : "moved on meanwhile"} (${reason})`)
    return Option.some<PolicyAction>({ from: task.status, to, reason, applied })
  })
