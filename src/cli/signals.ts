import { Effect } from "effect"

/**
 * The exit code for a run stopped by SIGINT/SIGTERM: 130 for a one-shot command (like a
 * shell), 0 for the daemon, for which a signal is the normal way to stop.
 */
export let signalExitCode = 130

export const exitCleanlyOnSignal = Effect.sync(() => {
  signalExitCode = 0
})
