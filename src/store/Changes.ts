import { Context, Effect, Layer, Option, type Scope } from "effect"
import { HubConfig } from "../config.js"
import { type Listener, listenForPokes, pokeDaemons } from "../shared/wake.js"
import { TaskStore } from "./TaskStore.js"

/**
 * That the queue changed, between hub's processes: whoever writes announces it, and daemons
 * and boards that subscribed react at once instead of at their next tick. An announcement
 * carries nothing: it is a hint to read the store again, never the data.
 * On one machine it travels over the wake sockets in HUB_HOME (src/shared/wake.ts); on a
 * PostgreSQL queue over LISTEN/NOTIFY as well (PgChanges.ts), to every machine.
 */
export class Changes extends Context.Tag("hub/Changes")<Changes, {
  /** Tells every subscriber in other processes (and `subscribeAll`'s in this one); bounded, never fails. */
  readonly announce: Effect.Effect<void>
  /** Calls `onChange` on every announcement from another process while the scope is open. */
  readonly subscribe: (onChange: () => void) => Effect.Effect<void, Error, Scope.Scope>
  /**
   * Calls `onChange` on every announcement, this process's own included: what a board needs,
   * which shows the daemon's own writes when it is served by the daemon.
   */
  readonly subscribeAll: (onChange: () => void) => Effect.Effect<void, Error, Scope.Scope>
  /**
   * Wakes this process's own `subscribe`rs as a poke from outside would: a change a person
   * made through the board served inside a daemon must wake that daemon too.
   */
  readonly wakeHere: Effect.Effect<void>
}>() {}

/**
 * One wake socket per process and HUB_HOME, shared by every subscriber in it (a daemon and
 * the board it serves): a second listener on the same path would replace the first.
 */
interface Hub {
  readonly remote: Set<() => void>
  readonly local: Set<() => void>
  listener: Promise<Listener> | undefined
}
const hubs = new Map<string, Hub>()
const hubOf = (home: string): Hub => {
  let hub = hubs.get(home)
  if (hub === undefined) {
    hub = { remote: new Set(), local: new Set(), listener: undefined }
    hubs.set(home, hub)
  }
  return hub
}
const callAll = (listeners: Set<() => void>) => {
  for (const listener of [...listeners]) listener()
}

const subscribeTo = (home: string, onChange: () => void, alsoLocal: boolean) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const hub = hubOf(home)
        hub.listener ??= listenForPokes(home, () => callAll(hub.remote)).catch((error) => {
          hub.listener = undefined
          throw error
        })
        await hub.listener
        hub.remote.add(onChange)
        if (alsoLocal) hub.local.add(onChange)
        return hub
      },
      catch: (error) => (error instanceof Error ? error : new Error(String(error)))
    }),
    (hub) =>
      Effect.promise(async () => {
        hub.remote.delete(onChange)
        hub.local.delete(onChange)
        if (hub.remote.size === 0 && hub.listener !== undefined) {
          const listener = hub.listener
          hub.listener = undefined
          ;(await listener).close()
        }
      })
  ).pipe(Effect.asVoid)

/** Changes between the processes of the machine whose HUB_HOME is `home`, over its wake sockets. */
export const localChanges = (home: string): Changes["Type"] =>
  Changes.of({
    announce: Effect.zipRight(
      Effect.sync(() => callAll(hubOf(home).local)),
      Effect.promise(() => pokeDaemons(home, { exceptPid: process.pid }))
    ),
    subscribe: (onChange) => subscribeTo(home, onChange, false),
    subscribeAll: (onChange) => subscribeTo(home, onChange, true),
    wakeHere: Effect.sync(() => callAll(hubOf(home).remote))
  })

/** Changes between the processes of one machine, over the wake sockets in HUB_HOME. */
export const LocalChangesLive = Layer.effect(Changes, Effect.map(HubConfig, (config) => localChanges(config.home)))

/** No other process hears of anything: for tests and library users who want no sockets. */
export const ChangesSilent = Layer.succeed(
  Changes,
  Changes.of({ announce: Effect.void, subscribe: () => Effect.void, subscribeAll: () => Effect.void, wakeHere: Effect.void })
)

/**
 * The store, announcing every write that changed something: a task created, moved, claimed,
 * started, rolled back or reconciled, edited, a comment or a link, what its agent is doing.
 */
export const announcing = (store: TaskStore["Type"], changes: Changes["Type"]): TaskStore["Type"] => {
  const always = <A, E, R>(write: Effect.Effect<A, E, R>) => Effect.tap(write, () => changes.announce)
  const ifTrue = <E, R>(write: Effect.Effect<boolean, E, R>) => Effect.tap(write, (ok) => (ok ? changes.announce : Effect.void))
  return TaskStore.of({
    ...store,
    create: (input) => always(store.create(input)),
    move: (...args) => always(store.move(...args)),
    comment: (...args) => always(store.comment(...args)),
    link: (...args) => always(store.link(...args)),
    edit: (...args) => always(store.edit(...args)),
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
}

/**
 * A store and its Changes (`base`), the store's writes announced over those Changes: how every
 * hub process that writes holds the store.
 */
export const withAnnouncedWrites = <E, R>(base: Layer.Layer<TaskStore | Changes, E, R>): Layer.Layer<TaskStore | Changes, E, R> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const changes = yield* Changes
      const store = yield* TaskStore
      return Context.make(TaskStore, announcing(store, changes)).pipe(Context.add(Changes, changes))
    })
  ).pipe(Layer.provide(base))
