import { Option, Schema } from "effect"
import { formatDurationMs } from "./duration.js"
import type { TaskStatus } from "./Task.js"

/**
 * What the agent of a task's current attempt is doing, as far as hub can tell: `starting`
 * (its window is open, no hook yet), `busy`, `idle` (its turn ended), `waiting` (for a
 * person: a permission dialog, or a turn that failed on an API error), `stalled` (no hook and
 * no output for a long time) or `ended` (its session ended).
 */
export const AgentState = Schema.Literal("starting", "busy", "idle", "waiting", "stalled", "ended")
export type AgentState = typeof AgentState.Type

const at = Schema.String

/**
 * One thing an agent told hub, decoded from what it sent (a Claude Code hook's JSON, or
 * another agent's notification) by `hub agent hook`, with the time it arrived.
 */
export const AgentSignal = Schema.Union(
  Schema.TaggedStruct("started", { at }),
  Schema.TaggedStruct("busy", { at, doing: Schema.String }),
  Schema.TaggedStruct("idle", { at }),
  Schema.TaggedStruct("waiting", { at, message: Schema.String }),
  Schema.TaggedStruct("turnFailed", { at, error: Schema.String }),
  Schema.TaggedStruct("ended", { at, reason: Schema.String })
)
export type AgentSignal = typeof AgentSignal.Type

/** The agent's state with when it last changed, why, and when the agent last showed life. */
export interface AgentStatus {
  readonly state: AgentState
  /** ISO time of the last change of `state`. */
  readonly since: string
  readonly reason: string
  /** ISO time of the last hook (or, when the probe saw it later, terminal output). */
  readonly activeAt: string
}

/** The state a freshly started window is in, before any hook. */
export const startingAt = (at: string): AgentStatus => ({ state: "starting", since: at, reason: "window opened", activeAt: at })

const reading = (signal: AgentSignal): { readonly state: AgentState; readonly reason: string } => {
  switch (signal._tag) {
    case "started":
      return { state: "starting", reason: "session started" }
    case "busy":
      return { state: "busy", reason: signal.doing }
    case "idle":
      return { state: "idle", reason: "turn ended" }
    case "waiting":
      return { state: "waiting", reason: `waiting for permission: ${signal.message}` }
    case "turnFailed":
      return { state: "waiting", reason: `turn failed: ${signal.error}` }
    case "ended":
      return { state: "ended", reason: `session ended (${signal.reason})` }
  }
}

/**
 * The status after one more signal: `since` moves only when the state changes. A signal older
 * than the current state (a background hook of a tool call that lands after the turn's end)
 * counts as activity but changes nothing; `starting` is the exception, as it is recorded when
 * the dispatcher commits, and the agent's first hooks may come before that.
 */
export const afterSignal = (current: AgentStatus, signal: AgentSignal): AgentStatus => {
  const next = reading(signal)
  const activeAt = signal.at > current.activeAt ? signal.at : current.activeAt
  if (signal.at < current.since && current.state !== "starting") return { ...current, activeAt }
  return next.state === current.state
    ? { ...current, reason: next.reason, activeAt }
    : { state: next.state, since: signal.at, reason: next.reason, activeAt }
}

export interface AgentPolicyConfig {
  /** `HUB_IDLE_AFTER`: idle this long without reporting → in-review. */
  readonly idleAfterMs: number
  /** `HUB_STALL_AFTER`: no hook and no output this long → stalled, blocked. */
  readonly stallAfterMs: number
}

export interface AgentPolicyInput {
  readonly status: TaskStatus
  /** The task is `blocked` because reconcile blocked it (waiting, stalled), not by a report. */
  readonly blockedByAgentState: boolean
  readonly agent: AgentStatus
  /** ISO time of the window's last output, from the tmux probe; null when unknown. */
  readonly outputAt: string | null
  /** Now, in ms since the epoch. */
  readonly now: number
}

/** What a policy asks of the task: a move of the transition table, and maybe a new state. */
export interface AgentVerdict {
  readonly to: TaskStatus
  readonly reason: string
  readonly state?: AgentState
}

/**
 * The policies reconcile applies to a task whose agent is alive: an agent waiting for a
 * person blocks its task; one idle too long without reporting puts it in review; one with
 * no hook and no output for too long is stalled and blocks it; one that works again after
 * reconcile blocked it makes it in-progress again. Pure: the clock and tmux come in as data.
 */
export const agentPolicy = (input: AgentPolicyInput, config: AgentPolicyConfig): Option.Option<AgentVerdict> => {
  const { agent, now, status } = input
  const lastSign = Math.max(Date.parse(agent.activeAt), input.outputAt === null ? 0 : Date.parse(input.outputAt))
  if (status === "in-progress") {
    if (agent.state === "waiting") return Option.some({ to: "blocked", reason: `agent ${agent.reason}` })
    if (agent.state === "idle" && now - Date.parse(agent.since) >= config.idleAfterMs) {
      return Option.some({ to: "in-review", reason: `agent idle for ${formatDurationMs(config.idleAfterMs)} without reporting` })
    }
    if ((agent.state === "starting" || agent.state === "busy" || agent.state === "stalled") && now - lastSign >= config.stallAfterMs) {
      return Option.some({
        to: "blocked",
        state: "stalled",
        reason: `agent stalled: no activity for ${formatDurationMs(config.stallAfterMs)}`
      })
    }
    return Option.none()
  }
  if (status === "blocked" && input.blockedByAgentState) {
    if (agent.state === "busy") return Option.some({ to: "in-progress", reason: "agent is working again" })
    // An agent without hooks shows life only by its output.
    if (agent.state === "stalled" && lastSign > Date.parse(agent.since)) {
      return Option.some({ to: "in-progress", state: "busy", reason: "agent is working again (new output)" })
    }
  }
  return Option.none()
}
