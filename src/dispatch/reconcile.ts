import { Clock, Effect, Option } from "effect"
import { Agent } from "../agent/Agent.js"
import { sessionIdFor } from "../agent/session.js"
import { HubConfig } from "../config.js"
import { hostLost, hostLostReason, leaseCutoff } from "../domain/hostLease.js"
import { CLAIMED, RECLAIM_TO } from "../domain/transitions.js"
import { Host } from "../host/Host.js"
import type { TaskStatus } from "../domain/Task.js"
import { TaskStore, type StoredTask } from "../store/TaskStore.js"
import { Terminal } from "../terminal/Terminal.js"
import { Workspace } from "../workspace/Workspace.js"
import type { Pane } from "../terminal/Terminal.js"
import { applyAgentPolicy, observeAgent } from "./agentState.js"
import { dispatching } from "./inFlight.js"
import { describeDead, makeProber } from "./liveness.js"
import { followUsage } from "./usage.js"

export interface ReconcileAction {
  readonly taskId: string
  readonly attempt: number
  readonly from: TaskStatus
  readonly to: TaskStatus | null
  readonly reason: string
  /** False when the task moved on between the look and the write: nothing was changed. */
  readonly applied: boolean
}

export interface ReconcileReport {
  readonly checked: number
  readonly changed: ReadonlyArray<ReconcileAction>
  /** Tasks left alone this pass, with why (a live dispatch, a probe that failed). */
  readonly skipped: ReadonlyArray<{ readonly taskId: string; readonly why: string }>
}

/**
 * Repairs what no finalizer could: for each in-progress task of this host (HUB_HOST: tmux is
 * local), compares the store with tmux and the agent's recorded exit status, and moves the
 * task where the truth is; and returns the in-progress tasks of hosts that lost their lease to
 * `ready` (reclaimLostHosts). Every write is a compare-and-set on what was seen (attempt,
 * window, the host's lease), with actor `reconciler`.
 */
export const reconcile = Effect.gen(function* () {
  const store = yield* TaskStore
  const terminal = yield* Terminal
  const workspace = yield* Workspace
  const agent = yield* Agent
  const host = yield* Host
  const config = yield* HubConfig
  const prober = yield* makeProber
  // Attempts recorded before hosts were ran on the one machine that used the file.
  const adopted = yield* store.adoptUnhosted(config.host)
  if (adopted > 0) yield* Effect.logInfo(`reconcile: ${adopted} task(s) from before hosts were recorded are ${config.host}'s`)
  const tasks = yield* store.inProgressOn(config.host)
  const changed: Array<ReconcileAction> = []
  const skipped: Array<{ taskId: string; why: string }> = []

  const apply = (
    task: StoredTask,
    to: "ready" | "in-review" | "failed",
    reason: string,
    error: string | null,
    fence: { readonly unstarted?: boolean } = {}
  ) =>
    Effect.gen(function* () {
      // Whatever the attempt left running (started with nohup or setsid) ends with it.
      yield* host.endSession(sessionIdFor(task.id, task.attempt))
      const ref = { id: task.id, attempt: task.attempt, windowId: task.window_id, ...fence }
      const applied = yield* store.reconcile(ref, to, reason, error)
      changed.push({ taskId: task.id, attempt: task.attempt, from: task.status, to, reason, applied })
      yield* Effect.logInfo(`reconcile ${task.id}#${task.attempt}: ${applied ? `in-progress → ${to}` : "moved on meanwhile"} (${reason})`)
      return applied
    })

  for (const task of tasks) {
    // A lease of this very process is live only while it still dispatches that attempt.
    const ownLease = task.lease_pid === process.pid && !dispatching.has(task)
    if (!ownLease && (yield* host.isLeaseLive(task))) {
      skipped.push({ taskId: task.id, why: `dispatch in flight (pid ${task.lease_pid})` })
      continue
    }
    if (task.window_id === null && task.started_at === null) {
      // The dispatcher died between claim and commit. A window it may have opened has no
      // record but its name; a worktree it made is removed if the agent never used it. The
      // attempt is called off first, so that a window its tmux client opens later (that
      // client outlives a SIGKILLed dispatcher) starts no agent.
      const voided = yield* agent.voidAttempt(task.id, task.attempt).pipe(Effect.either)
      if (voided._tag === "Left") {
        skipped.push({ taskId: task.id, why: voided.left.message })
        continue
      }
      const named = yield* terminal.killWindowsNamed(task.id).pipe(Effect.either)
      if (named._tag === "Left") {
        skipped.push({ taskId: task.id, why: `tmux: ${named.left.message}` })
        continue
      }
      const applied = yield* apply(task, "ready", "dispatcher died before the agent started", null, { unstarted: true })
      if (applied && task.workspace !== null && task.workspace_fresh) {
        yield* workspace.removeIfUnused(task.id, task.repo, task.workspace).pipe(
          Effect.tap((removed) => removed ? Effect.logInfo(`reconcile ${task.id}: removed unused worktree ${task.workspace}`) : Effect.void),
          Effect.catchAll((e) => Effect.logWarning(`reconcile ${task.id}: kept ${task.workspace}: ${e.message}`))
        )
      }
      continue
    }
    const liveness = yield* prober.livenessOf(task)
    if (liveness._tag === "unknown") {
      yield* Effect.logWarning(`reconcile ${task.id}: tmux did not answer, left as is (${liveness.why})`)
      skipped.push({ taskId: task.id, why: `liveness unknown: ${liveness.why}` })
      continue
    }
    if (liveness._tag === "alive") {
      yield* followAgent(task, liveness.pane)
      continue
    }
    const why = describeDead(liveness.why, liveness.status)
    if ((liveness.why === "exited" || liveness.why === "pane-dead") && liveness.status === 0) {
      yield* apply(task, "in-review", "agent exited without reporting", null)
    } else {
      yield* apply(task, "failed", why, why)
    }
  }
  // A blocked or in-review task keeps its live window (a person may attach and answer): what
  // its agent does is still followed, and an agent that works again unblocks a task that
  // reconcile had blocked.
  for (const task of yield* store.withAgentsOn(config.host)) {
    if (task.status === "in-progress" || task.window_id === null) continue
    const liveness = yield* prober.livenessOf(task)
    if (liveness._tag === "alive") yield* followAgent(task, liveness.pane)
  }
  changed.push(...(yield* reclaimLostHosts))
  // What each attempt's agent used, from its transcript (last: a task that ended in this pass
  // gets its agent's final lines read before its attempt is closed).
  yield* followUsage(prober)
  return { checked: tasks.length, changed, skipped } satisfies ReconcileReport

  /** What a live agent is doing, recorded, and the policy it calls for applied. */
  function followAgent(task: StoredTask, pane: Pane) {
    return Effect.gen(function* () {
      const now = yield* observeAgent(task)
      const action = yield* applyAgentPolicy(task, now, pane)
      if (Option.isSome(action)) changed.push({ taskId: task.id, attempt: task.attempt, ...action.value })
    }).pipe(Effect.catchAll((error) =>
      Effect.sync(() => void skipped.push({ taskId: task.id, why: `agent state: ${error.message}` }))))
  }
}).pipe(Effect.withSpan("Dispatch.reconcile"))

/**
 * Other hosts' in-progress tasks whose host lost its lease (hostLease.ts) go back to `ready`,
 * with an event naming the host. Nothing here is local: their windows and worktrees are on
 * that host, whose reap kills a window whose task it no longer holds. Their attempts are
 * fenced: the next claim makes a new attempt, and every write of the old one names its own.
 */
export const reclaimLostHosts = Effect.gen(function* () {
  const store = yield* TaskStore
  const config = yield* HubConfig
  const now = yield* Clock.currentTimeMillis
  const cutoff = leaseCutoff(now, config.hostLeaseMs)
  const changed: Array<ReconcileAction> = []
  for (const seen of yield* store.inProgressElsewhere(config.host)) {
    const signs = { host: seen.host, renewedAt: seen.renewed_at, claimedAt: seen.claimed_at }
    if (!hostLost(signs, now, config.hostLeaseMs)) continue
    const reason = hostLostReason(signs, config.hostLeaseMs)
    const applied = yield* store.reclaim({ id: seen.id, attempt: seen.attempt, host: seen.host }, cutoff, reason)
    changed.push({ taskId: seen.id, attempt: seen.attempt, from: CLAIMED, to: RECLAIM_TO, reason, applied })
    yield* Effect.logInfo(`reconcile ${seen.id}#${seen.attempt}: ${applied ? `in-progress → ${RECLAIM_TO}` : "moved on meanwhile"} (${reason})`)
  }
  return changed
}).pipe(Effect.withSpan("Dispatch.reclaimLostHosts"))
