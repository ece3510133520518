/**
 * Changes in one process: a daemon and the board it serves share one wake socket (a second
 * listener on the same path would replace the first); the board hears this process's own
 * writes too, the daemon only other processes' and what a person asked through the board.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { HubConfigFrom } from "../../src/config.js"
import { pokeDaemons, wakeDir } from "../../src/shared/wake.js"
import { Changes, LocalChangesLive } from "../../src/store/Changes.js"

const inTempHome = <A, E>(f: (home: string) => Effect.Effect<A, E, Changes>) =>
  Effect.suspend(() => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "hub-changes-"))
    return f(home).pipe(
      Effect.provide(LocalChangesLive.pipe(Layer.provide(HubConfigFrom({ home })))),
      Effect.ensuring(Effect.sync(() => fs.rmSync(home, { recursive: true, force: true })))
    )
  })

describe("Changes in one process", () => {
  it.live("two subscribers share one socket; both hear a poke from outside; the socket goes with the last", () =>
    inTempHome((home) =>
      Effect.gen(function* () {
        const changes = yield* Changes
        const daemon = yield* Deferred.make<void>()
        const board = yield* Deferred.make<void>()
        yield* Effect.scoped(Effect.gen(function* () {
          yield* changes.subscribe(() => Deferred.unsafeDone(daemon, Effect.void))
          yield* changes.subscribeAll(() => Deferred.unsafeDone(board, Effect.void))
          expect(fs.readdirSync(wakeDir(home))).toEqual([`${process.pid}.sock`])
          // As another process would: this one's socket is not excepted.
          yield* Effect.promise(() => pokeDaemons(home))
          yield* Deferred.await(daemon)
          yield* Deferred.await(board)
        }))
        expect(fs.readdirSync(wakeDir(home))).toEqual([])
      })))

  it.live("subscribeAll hears this process's own announcements, subscribe does not; wakeHere wakes both", () =>
    inTempHome(() =>
      Effect.gen(function* () {
        const changes = yield* Changes
        const heard = { daemon: 0, board: 0 }
        yield* Effect.scoped(Effect.gen(function* () {
          yield* changes.subscribe(() => heard.daemon++)
          yield* changes.subscribeAll(() => heard.board++)
          yield* changes.announce
          expect(heard).toEqual({ daemon: 0, board: 1 })
          yield* changes.wakeHere
          expect(heard).toEqual({ daemon: 1, board: 2 })
        }))
      })))
})
