import { Clock, Effect, Option, Queue } from "effect"
import { HubConfig } from "../config.js"
import type { TaskStatus } from "../domain/Task.js"
import { firstErrorLine, runProcess } from "../shared/process.js"
import type { NotifiableEvent } from "../store/attempts.js"
import { TaskStore } from "../store/TaskStore.js"

/** The statuses a person wants to hear of: the agent needs them, or the work ended. */
export const NOTIFY_STATUSES: ReadonlyArray<TaskStatus> = ["blocked", "in-review", "failed", "done"]

/** How long one run of the notifier may take before its process group is killed. */
export const NOTIFY_TIMEOUT_MS = 10_000

/** Events older than this when claimed (written while no notifying daemon ran) are not sent. */
export const NOTIFY_MAX_AGE_MS = 3_600_000

/** How many claimed notifications may wait for a slow notifier; more are dropped, with a log line. */
const BACKLOG = 1_000

/** The facts of one notification, as the notifier's environment: never on a command line. */
export const notifyEnv = (event: NotifiableEvent): Record<string, string> => ({
  HUB_TASK_ID: event.task_id,
  HUB_STATUS: event.to_status,
  HUB_REASON: event.reason,
  HUB_TITLE: event.title
})

/**
 * The daemon's notifier (`HUB_NOTIFY_COMMAND`). Each tick's `pass` claims the events written
 * since the last claim, in one statement (TaskStore.claimNotifications: two daemons never
 * claim the same event, so each is sent once), and hands those that move a task to a
 * NOTIFY_STATUSES status to a worker fiber of the daemon's scope, which runs the command for
 * each, one at a time, as `sh -c <command>` with the facts in its environment, bounded by
 * NOTIFY_TIMEOUT_MS. The tick never waits for it: a slow or failing notifier delays no dispatch
 * and no reconcile. A failure is logged once, until a run succeeds again. Without a command
 * nothing is claimed (a daemon that has one may send them, within NOTIFY_MAX_AGE_MS).
 */
export const makeNotifier = Effect.gen(function* () {
  const config = yield* HubConfig
  if (Option.isNone(config.notifyCommand)) return { pass: Effect.void }
  const command = config.notifyCommand.value
  const store = yield* TaskStore
  const queue = yield* Queue.dropping<NotifiableEvent>(BACKLOG)
  let failing = false

  const send = (event: NotifiableEvent) =>
    runProcess("sh", ["-c", command], { env: notifyEnv(event), timeoutMs: NOTIFY_TIMEOUT_MS, label: "HUB_NOTIFY_COMMAND" }).pipe(
      Effect.flatMap((result) =>
        result.code === 0
          ? Effect.void
          : Effect.fail(`exited with status ${result.code}: ${firstErrorLine(result.stderr)}`)),
      Effect.mapError((error) => (typeof error === "string" ? error : error.message)),
      Effect.matchEffect({
        onSuccess: () => {
          if (!failing) return Effect.void
          failing = false
          return Effect.logInfo("notify: HUB_NOTIFY_COMMAND works again")
        },
        onFailure: (why) => {
          if (failing) return Effect.void
          failing = true
          return Effect.logWarning(`notify ${event.task_id} (${event.to_status}): HUB_NOTIFY_COMMAND ${why} (further failures are not logged until it works again)`)
        }
      })
    )
  // One run at a time; whatever one run does (even a defect), the worker goes on with the next.
  yield* Queue.take(queue).pipe(
    Effect.flatMap((event) =>
      send(event).pipe(Effect.catchAllDefect((defect) => Effect.logWarning(`notify ${event.task_id}: ${String(defect)}`)))),
    Effect.forever,
    Effect.forkScoped
  )

  const pass = Effect.gen(function* () {
    const events = yield* store.claimNotifications(NOTIFY_STATUSES)
    if (events.length === 0) return
    const now = yield* Clock.currentTimeMillis
    const fresh = events.filter((e) => now - Date.parse(e.at) <= NOTIFY_MAX_AGE_MS)
    if (fresh.length < events.length) {
      yield* Effect.logInfo(`notify: ${events.length - fresh.length} change(s) older than an hour not sent`)
    }
    const taken = yield* Queue.offerAll(queue, fresh)
    if (!taken) yield* Effect.logWarning(`notify: more than ${BACKLOG} notifications waiting; some were dropped`)
  }).pipe(Effect.withSpan("Dispatch.notify"))

  return { pass }
})
