import { Cause, Clock, Duration, Effect, Option, Queue } from "effect"
import { causeMessage } from "../shared/messages.js"
import { Changes } from "../store/Changes.js"
import { cleanup } from "./cleanup.js"
import { makeNotifier } from "./notify.js"
import { keepHostLease } from "./hostLease.js"
import { dispatchPass, preflight } from "./pass.js"
import { reap } from "./reap.js"
import { reconcile } from "./reconcile.js"

export interface DaemonOptions {
  readonly interval: Duration.DurationInput
  readonly reapAfter?: Duration.DurationInput
  readonly cleanupEvery?: Duration.DurationInput
  readonly cleanupOlderThan?: Duration.DurationInput
}

/** A step of a tick that fails is logged; the daemon goes on with the next one. */
const logged = <A, E, R>(what: string, effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.asVoid,
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.interrupt : Effect.logError(`${what}: ${causeMessage(cause)}`)
    )
  )

/**
 * hub's main job: each tick reconciles, dispatches up to the cap, reaps finished windows,
 * sends the notifications of the tick's changes (HUB_NOTIFY_COMMAND, see notify.ts), and
 * cleans up old worktrees every `cleanupEvery`. All the while it keeps this host's lease
 * (keepHostLease): a host whose daemon stops loses its in-progress tasks to the other hosts. A tick runs every `interval`, and at once
 * when another process announces a change (a task created or made ready, a report, a hook):
 * announcements that arrive during a tick make one more tick. Interrupting it lets a running
 * dispatch finish or roll back through its finalizers.
 */
export const daemon = (options: DaemonOptions) =>
  Effect.gen(function* () {
    let lastCleanup = Number.NEGATIVE_INFINITY
    const cleanupEvery = Duration.toMillis(options.cleanupEvery ?? "1 hour")
    // Its worker runs in this scope: a slow notifier never holds up a tick.
    const notifier = yield* makeNotifier
    const tick = Effect.gen(function* () {
      // Changes other processes made (a report, a cancel) are told before this tick's work,
      // and this tick's own (reconcile, policies) after it.
      yield* logged("notify", notifier.pass)
      yield* logged("reconcile", reconcile)
      yield* logged(
        "dispatch",
        preflight.pipe(
          Effect.zipRight(dispatchPass),
          Effect.tap((pass) =>
            Option.match(pass.failed, {
              onNone: () => Effect.void,
              onSome: (e) => Effect.logError(`dispatch ${e.taskId ?? "(nothing claimed)"}: failed at ${e.step}: ${e.message}`)
            })
          )
        )
      )
      yield* logged("reap", reap({ after: options.reapAfter ?? "5 minutes" }))
      yield* logged("notify", notifier.pass)
      const now = yield* Clock.currentTimeMillis
      if (now - lastCleanup >= cleanupEvery) {
        lastCleanup = now
        yield* logged("cleanup", cleanup({ olderThan: options.cleanupOlderThan ?? "72 hours", dryRun: false }))
      }
    })
    yield* keepHostLease
    const woken = yield* Queue.sliding<void>(1)
    yield* Effect.flatMap(Changes, (changes) => changes.subscribe(() => Queue.unsafeOffer(woken, undefined))).pipe(
      Effect.catchAll((error) => Effect.logWarning(`daemon: no wake-ups, ticks only (${error.message})`))
    )
    yield* Effect.logInfo(`daemon started (every ${Duration.format(Duration.decode(options.interval))}, and on every change)`)
    yield* tick.pipe(
      Effect.zipRight(Effect.raceFirst(Effect.sleep(options.interval), Queue.take(woken))),
      Effect.forever
    )
  }).pipe(Effect.scoped, Effect.withSpan("Dispatch.daemon"))
