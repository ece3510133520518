import { Effect, Schedule } from "effect"
import { HubConfig } from "../config.js"
import { renewEveryMs } from "../domain/hostLease.js"
import { TaskStore } from "../store/TaskStore.js"

/**
 * Keeps this host's lease (HUB_HOST) while the scope is open: renewed at once, then four times
 * per HUB_HOST_LEASE, on a fiber of its own so that a long tick (a slow fetch, a stuck tmux)
 * does not let the lease lapse. A renewal that fails is logged and the next one tries again:
 * the host loses its tasks only when renewals fail for a whole lease.
 */
export const keepHostLease = Effect.gen(function* () {
  const store = yield* TaskStore
  const config = yield* HubConfig
  const renew = store.renewHost(config.host).pipe(
    Effect.catchAll((error) => Effect.logWarning(`host lease of ${config.host} not renewed: ${error.message}`))
  )
  yield* renew
  yield* Effect.forkScoped(Effect.schedule(renew, Schedule.spaced(renewEveryMs(config.hostLeaseMs))))
}).pipe(Effect.withSpan("Dispatch.keepHostLease"))
