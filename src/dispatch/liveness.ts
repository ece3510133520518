import { Effect, Option } from "effect"
import { Agent } from "../agent/Agent.js"
import type { StoredTask } from "../store/TaskStore.js"
import { type Pane, panesNamed, type Probe, Terminal } from "../terminal/Terminal.js"

/**
 * What one look at tmux says of a task's agent. `unknown` means the probe itself failed:
 * it never justifies a destructive action.
 */
export type Liveness =
  | { readonly _tag: "alive"; readonly pane: Pane }
  | {
    readonly _tag: "dead"
    /** `exited`: the window command recorded the agent's exit status (the surest sign). */
    readonly why: "no-window" | "exited" | "window-gone" | "no-server" | "pane-dead"
    readonly status: number | null
  }
  | { readonly _tag: "unknown"; readonly why: string }

/**
 * Probes each tmux server the tasks were started on once, however many tasks there are.
 * The exit status the window command recorded is read first: tmux's own
 * `pane_dead_status` is sometimes empty, and the file outlives the window.
 */
export const makeProber = Effect.gen(function* () {
  const terminal = yield* Terminal
  const agent = yield* Agent
  const seen = new Map<string, Option.Option<Probe> | string>()
  const key = (socket: string | null) => socket ?? "\u0000default"

  const probe = (socket: string | null) =>
    Effect.suspend(() => {
      const cached = seen.get(key(socket))
      if (cached !== undefined) return Effect.succeed(cached)
      return terminal.probe(socket).pipe(
        Effect.map((p): Option.Option<Probe> | string => Option.some(p)),
        Effect.catchAll((error) => Effect.succeed<Option.Option<Probe> | string>(error.message)),
        Effect.tap((result) => Effect.sync(() => seen.set(key(socket), result)))
      )
    })

  const livenessOf = (
    task: Pick<StoredTask, "id" | "attempt" | "window_id" | "tmux_socket" | "tmux_session" | "started_at">
  ) =>
    Effect.gen(function* () {
      // A start recorded by its agent may lack the window (tmux did not name it then): such
      // an agent runs on hub's server in the window named after its task.
      const byName = task.window_id === null && task.started_at !== null
      if (task.window_id === null && !byName) return { _tag: "dead", why: "no-window", status: null } satisfies Liveness
      const recorded = yield* agent.exitStatus(task.id, task.attempt)
      if (Option.isSome(recorded)) return { _tag: "dead", why: "exited", status: recorded.value } satisfies Liveness
      const result = yield* probe(byName ? terminal.socket : task.tmux_socket)
      if (typeof result === "string") return { _tag: "unknown", why: result } satisfies Liveness
      const probeResult = Option.getOrThrow(result)
      if (probeResult._tag === "NoServer") return { _tag: "dead", why: "no-server", status: null } satisfies Liveness
      const pane = byName
        ? panesNamed(probeResult.panes, task.tmux_session ?? terminal.session, task.id)[0]
        : probeResult.panes.find((p) => p.windowId === task.window_id)
      if (pane === undefined) return { _tag: "dead", why: "window-gone", status: null } satisfies Liveness
      if (pane.dead) return { _tag: "dead", why: "pane-dead", status: pane.deadStatus } satisfies Liveness
      return { _tag: "alive", pane } satisfies Liveness
    })

  return { probe, livenessOf }
})

/** Says why an agent is not alive, in words. */
export const describeDead = (why: Extract<Liveness, { _tag: "dead" }>["why"], status: number | null): string => {
  switch (why) {
    case "exited":
    case "pane-dead":
      return status === null ? "agent exited (status unknown)" : `agent exited with status ${status}`
    case "window-gone":
      return "agent window disappeared"
    case "no-server":
      return "agent window disappeared (tmux server not running)"
    case "no-window":
      return "no agent window was recorded"
  }
}
