import { Effect } from "effect"
import { Agent } from "../agent/Agent.js"
import { HubConfig } from "../config.js"
import { ownsAgent } from "../domain/transitions.js"
import type { OpenAttempt } from "../store/attempts.js"
import { TaskStore } from "../store/TaskStore.js"
import type { makeProber } from "./liveness.js"

type Prober = Effect.Effect.Success<typeof makeProber>

/**
 * Follows the agent session of every attempt still open on this host (migration 5's `attempts`;
 * another host's agents write their files on that host, and its reconcile follows them): what its
 * hooks said of the agent's own session (its id, for a later `--resume`, and its transcript),
 * then the model calls its transcript gained since the last read, counted into the attempt's
 * and the task's usage. Each read starts where the last one stopped and leaves a partial last
 * line for the next. An attempt is closed once a read finds nothing new and its agent is gone
 * (a later attempt took over, or its task no longer has an agent and the window is dead): its
 * final lines are read after the agent stopped writing. A failure is a warning for that
 * attempt alone; every write is a compare-and-set, so two processes following at once count
 * nothing twice.
 */
export const followUsage = (prober: Prober) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const config = yield* HubConfig
    for (const open of yield* store.openAttempts(config.host)) {
      yield* followAttempt(open, prober).pipe(
        Effect.catchAll((error) => Effect.logWarning(`usage ${open.task_id}#${open.attempt}: ${error.message}`))
      )
    }
  }).pipe(Effect.withSpan("Dispatch.followUsage"))

const followAttempt = (open: OpenAttempt, prober: Prober) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const agent = yield* Agent
    const ref = { id: open.task_id, attempt: open.attempt }
    let transcript = open.transcript_path
    let offset = open.transcript_read
    const seen = yield* agent.agentSession(open.task_id, open.attempt, open.signals_read)
    const heard = seen.read !== open.signals_read
    if (heard) {
      const recorded = yield* store.recordAgentSession(ref, seen, { from: open.signals_read, to: seen.read })
      // Another process read these signals first: it follows this attempt now.
      if (!recorded) return
      if (seen.transcriptPath !== null && seen.transcriptPath !== transcript) {
        offset = transcript === null ? offset : 0
        transcript = seen.transcriptPath
      }
    }
    let gained = false
    if (transcript !== null) {
      const { calls, read } = yield* agent.modelCalls(transcript, offset)
      if (read !== offset) {
        gained = true
        yield* store.countUsage(ref, { from: offset, to: read }, calls)
      }
    }
    if (!gained && !heard && (yield* agentGone(open, prober))) yield* store.closeAttempt(ref)
  })

/** Whether the attempt's agent can write no more: superseded, or its task's window is dead. */
const agentGone = (open: OpenAttempt, prober: Prober) =>
  Effect.gen(function* () {
    if (open.attempt < open.current_attempt) return true
    if (ownsAgent(open.status)) return false
    const liveness = yield* prober.livenessOf({
      id: open.task_id,
      attempt: open.attempt,
      window_id: open.window_id,
      tmux_socket: open.tmux_socket,
      tmux_session: open.tmux_session,
      started_at: open.started_at
    })
    return liveness._tag === "dead"
  })
