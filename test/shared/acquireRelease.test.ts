import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, FiberId, Ref } from "effect"
import { acquireRelease } from "../../src/shared/acquireRelease.js"

type AcquireRelease = typeof acquireRelease

/**
 * Two resources; the dispatch inside fails, so both releases run, and an interruption arrives
 * while the second release to run (the first resource's) is running. Returns how the fiber
 * ended and whether it carried on after its scope, as if never interrupted.
 */
const interruptDuringSecondRelease = (acquireReleaseUnderTest: AcquireRelease) =>
  Effect.gen(function* () {
    const releasing = yield* Deferred.make<void>()
    const gate = yield* Deferred.make<void>()
    const released = yield* Ref.make<Array<string>>([])
    const body = Effect.scoped(
      Effect.gen(function* () {
        yield* acquireReleaseUnderTest(Effect.succeed("first"), (a) =>
          Ref.update(released, (r) => [...r, a]).pipe(
            Effect.zipRight(Deferred.succeed(releasing, undefined)),
            Effect.zipRight(Deferred.await(gate))
          ))
        yield* acquireReleaseUnderTest(Effect.succeed("second"), (a) => Ref.update(released, (r) => [...r, a]))
        return yield* Effect.fail("boom")
      })
    )
    let carriedOn = false
    const fiber = yield* Effect.fork(body.pipe(Effect.exit, Effect.zipRight(Effect.sync(() => void (carriedOn = true)))))
    yield* Deferred.await(releasing)
    // The interruption reaches the fiber's mailbox before the release may finish.
    yield* Fiber.interruptAsFork(fiber, FiberId.none)
    yield* Deferred.succeed(gate, undefined)
    const exit = yield* Fiber.await(fiber)
    return { exit, carriedOn, released: yield* Ref.get(released) }
  })

describe("acquireRelease (local, on Scope.addFinalizerExit)", () => {
  it.effect("keeps an interruption that arrives while its second release runs", () =>
    Effect.gen(function* () {
      const { carriedOn, exit, released } = yield* interruptDuringSecondRelease(acquireRelease)
      expect(released).toEqual(["second", "first"])
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(carriedOn).toBe(false)
    }))

  it.effect("upstream Effect.acquireRelease still loses it (effect 3.22.4): when this fails, upstream is fixed and the local one can go", () =>
    Effect.gen(function* () {
      const { carriedOn, exit, released } = yield* interruptDuringSecondRelease(Effect.acquireRelease)
      expect(released).toEqual(["second", "first"])
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(carriedOn).toBe(true)
    }))

  it.effect("releases newest first, each with its value and the scope's exit", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const exit = yield* Effect.scoped(
        Effect.gen(function* () {
          for (const name of ["a", "b", "c"]) {
            yield* acquireRelease(Effect.succeed(name), (a, exit) => Effect.sync(() => void log.push(`${a}:${exit._tag}`)))
          }
          return yield* Effect.fail("stop")
        })
      ).pipe(Effect.exit)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(log).toEqual(["c:Failure", "b:Failure", "a:Failure"])
    }))

  it.effect("a failed acquire registers no release", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      yield* Effect.scoped(acquireRelease(Effect.fail("no"), () => Effect.sync(() => void log.push("released")))).pipe(Effect.exit)
      expect(log).toEqual([])
    }))

  it.effect("acquire runs uninterruptibly: an interruption during it lands after, and the release runs", () =>
    Effect.gen(function* () {
      const entered = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const log: Array<string> = []
      const acquire = Deferred.succeed(entered, undefined).pipe(Effect.zipRight(Deferred.await(gate)), Effect.as("r"))
      const fiber = yield* Effect.fork(
        Effect.scoped(acquireRelease(acquire, (a, exit) => Effect.sync(() => void log.push(`${a}:${Exit.isInterrupted(exit)}`))))
      )
      yield* Deferred.await(entered)
      yield* Fiber.interruptAsFork(fiber, FiberId.none)
      yield* Deferred.succeed(gate, undefined)
      expect(Exit.isInterrupted(yield* Fiber.await(fiber))).toBe(true)
      expect(log).toEqual(["r:true"])
    }))

  it.effect("the release can use services that were in scope when the resource was acquired", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      class Recorder extends Effect.Tag("test/Recorder")<Recorder, { readonly record: (s: string) => Effect.Effect<void> }>() {}
      yield* Effect.scoped(acquireRelease(Effect.succeed(1), (n) => Recorder.record(`released ${n}`))).pipe(
        Effect.provideService(Recorder, { record: (s) => Effect.sync(() => void log.push(s)) })
      )
      expect(log).toEqual(["released 1"])
    }))
})
