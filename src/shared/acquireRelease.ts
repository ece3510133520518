import { Effect, type Exit, Scope } from "effect"

/**
 * `Effect.acquireRelease`, with the same signature and meaning: `acquire` runs
 * uninterruptibly, and `release(a, exit)` runs when the surrounding scope closes, newest
 * resource first.
 *
 * Why a local one: effect 3.22.3 and 3.22.4 lose an interruption that arrives while the
 * second (or a later) finalizer registered with `Effect.addFinalizer` runs, and upstream
 * `acquireRelease` is built on it. Its wrapper restores the fiber's refs after each release
 * with a patch taken before it ran, and that patch wipes `currentInterruptedCause`: the fiber
 * carries on as if never interrupted, so a daemon told to stop while a failed dispatch undoes
 * itself goes on claiming (docs/RELIABILITY.md, F3). The scope's own `Scope.addFinalizerExit`
 * is not affected. test/shared/acquireRelease.test.ts reproduces the upstream bug; when that
 * test fails, upstream is fixed and this file can go.
 */
export const acquireRelease = <A, E, R, R2>(
  acquire: Effect.Effect<A, E, R>,
  release: (a: A, exit: Exit.Exit<unknown, unknown>) => Effect.Effect<unknown, never, R2>
): Effect.Effect<A, E, R | R2 | Scope.Scope> =>
  Effect.uninterruptible(
    Effect.gen(function* () {
      const scope = yield* Effect.scope
      const context = yield* Effect.context<R2>()
      const a = yield* acquire
      yield* Scope.addFinalizerExit(scope, (exit) => Effect.provide(release(a, exit), context))
      return a
    })
  )
