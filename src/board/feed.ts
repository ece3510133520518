/**
 * The live side of the board: every page holds one server-sent-events stream, and all of them
 * are fed from one place. A change anywhere (this process's store writes, another process's
 * poke on the wake socket) makes one re-read of the store, and what it reads is encoded once
 * and written to every page; a burst of changes during a read makes one more read.
 */
import { Duration, Effect, Queue, Stream, SubscriptionRef } from "effect"
import { messageOf } from "../shared/messages.js"
import { Changes } from "../store/Changes.js"
import { cards } from "./operations.js"

const encoder = new TextEncoder()

export interface Snapshot {
  readonly json: string
  /** The SSE event that carries it, encoded once for every page. */
  readonly event: Uint8Array
}

const snapshotOf = (json: string, version: number): Snapshot => ({
  json,
  event: encoder.encode(`id: ${version}\nevent: tasks\ndata: ${json}\n\n`)
})

/** SSE comments keep idle connections open through proxies and tell a closed one apart. */
const HEARTBEAT = encoder.encode(": keep-alive\n\n")
/** EventSource reconnects after this many ms when the stream breaks (a board restarted). */
const RETRY = encoder.encode("retry: 1000\n\n")

export const makeFeed = Effect.gen(function* () {
  const changes = yield* Changes
  let version = 1
  const current = yield* SubscriptionRef.make(snapshotOf(JSON.stringify({ tasks: yield* cards }), version))
  const refresh = cards.pipe(
    Effect.flatMap((tasks) =>
      SubscriptionRef.update(current, (last) => {
        const json = JSON.stringify({ tasks })
        return json === last.json ? last : snapshotOf(json, ++version)
      })),
    Effect.catchAll((error) => Effect.logWarning(`board: could not read the tasks: ${messageOf(error)}`))
  )
  const woken = yield* Queue.sliding<void>(1)
  yield* changes.subscribeAll(() => Queue.unsafeOffer(woken, undefined)).pipe(
    Effect.catchAll((error) => Effect.logWarning(`board: no live updates from other processes (${error.message})`))
  )
  yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Queue.take(woken), refresh)))
  return {
    /** The tasks as the page shows them, now. */
    json: Effect.map(SubscriptionRef.get(current), (s) => s.json),
    /** One page's stream: the current tasks at once, then every change, and a heartbeat. */
    events: Stream.make(RETRY).pipe(
      Stream.concat(Stream.map(current.changes, (s) => s.event)),
      Stream.merge(Stream.map(Stream.tick(Duration.seconds(20)), () => HEARTBEAT).pipe(Stream.drop(1)))
    )
  }
})

export type Feed = Effect.Effect.Success<typeof makeFeed>
