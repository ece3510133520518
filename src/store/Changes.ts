import { Context, Effect, Layer, Option, type Scope } from "effect"
import { HubConfig } from "../config.js"
import { listenForPokes, pokeDaemons } from "../shared/wake.js"
import { TaskStore, TaskStoreLive } from "./TaskStore.js"

/**
 * That the queue changed, between hub's processes: whoever writes announces it, and daemons
 * (and, later, the board) that subscribed react at once instead of at their next tick. An
 * announcement carries nothing: it is a hint to read the store again, never the data.
 * On one machine it travels over the wake sockets in HUB_HOME (src/shared/wake.ts).
 */
export class Changes extends Context.Tag("hub/Changes")<Changes, {
  /** Tells every subscriber in other processes; bounded, and never fails. */
  readonly announce: Effect.Effect<void>
  /** Calls `onChange` on every announcement from another process while the scope is open. */
  readonly subscribe: (onChange: () => void) => Effect.Effect<void, Error, Scope.Scope>
}>() {}

export const ChangesLive = Layer.effect(
  Changes,
  Effect.map(HubConfig, (config) =>
    Changes.of({
      announce: Effect.promise(() => pokeDaemons(config.home, { exceptPid: process.pid })),
      subscribe: (onChange) =>
        Effect.acquireRelease(
          Effect.tryPromise({
            try: () => listenForPokes(config.home, onChange),
            catch: (error) => (error instanceof Error ? error : new Error(String(error)))
          }),
          (listener) => Effect.sync(listener.close)
        ).pipe(Effect.asVoid)
    }))
)

/** No other process hears of anything: for tests and library users who want no sockets. */
export const ChangesSilent = Layer.succeed(Changes, Changes.of({ announce: Effect.void, subscribe: () => Effect.void }))

/**
 * The store, announcing every write that changed something: a task created, moved, claimed,
 * started, rolled back or reconciled, a comment or a link, what its agent is doing.
 */
export const announceWrites = Layer.effect(
  TaskStore,
  Effect.gen(function* () {
    const store = yield* TaskStore
    const changes = yield* Changes
    const always = <A, E, R>(write: Effect.Effect<A, E, R>) => Effect.tap(write, () => changes.announce)
    const ifTrue = <E, R>(write: Effect.Effect<boolean, E, R>) => Effect.tap(write, (ok) => (ok ? changes.announce : Effect.void))
    return TaskStore.of({
      ...store,
      create: (input) => always(store.create(input)),
      move: (...args) => always(store.move(...args)),
      comment: (...args) => always(store.comment(...args)),
      link: (...args) => always(store.link(...args)),
      claimNext: (...args) => Effect.tap(store.claimNext(...args), (claimed) => (Option.isSome(claimed) ? changes.announce : Effect.void)),
      rollback: (...args) => ifTrue(store.rollback(...args)),
      commitDispatch: (...args) => ifTrue(store.commitDispatch(...args)),
      recordStart: (...args) => ifTrue(store.recordStart(...args)),
      reconcile: (...args) => ifTrue(store.reconcile(...args)),
      // A lost host's task is ready again: a daemon with room takes it at once. (A lease
      // renewal is no change of the queue, and announcing it would wake every daemon each time.)
      reclaim: (...args) => ifTrue(store.reclaim(...args)),
      observe: (...args) => ifTrue(store.observe(...args)),
      applyPolicy: (...args) => ifTrue(store.applyPolicy(...args))
    })
  })
)

/**
 * The live store with its writes announced over the live Changes: how every hub process that
 * writes holds the store (HubServices, and the CLI's fast path, whose `hub task create` must
 * wake the daemons as the full CLI's does).
 */
export const AnnouncedTaskStoreLive = announceWrites.pipe(Layer.provide(Layer.merge(TaskStoreLive, ChangesLive)))
