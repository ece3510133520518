import { Effect, Option } from "effect"
import { Agent } from "../agent/Agent.js"
import { HubConfig } from "../config.js"
import { DispatchError, PreflightError } from "../domain/errors.js"
import { Terminal } from "../terminal/Terminal.js"
import { Workspace } from "../workspace/Workspace.js"
import { dispatchNext, makeFetchCache, type Started } from "./dispatch.js"

/**
 * What can be checked before any claim: a missing tmux or agent must stop the pass, not
 * turn the whole queue into `failed`.
 */
export const preflight = Effect.gen(function* () {
  const terminal = yield* Terminal
  const workspace = yield* Workspace
  const agent = yield* Agent
  yield* terminal.check.pipe(Effect.mapError((e) => new PreflightError({ message: e.message })))
  yield* workspace.check.pipe(Effect.mapError((e) => new PreflightError({ message: e.message })))
  yield* agent.check.pipe(Effect.mapError((e) => new PreflightError({ message: e.message })))
})

export interface PassResult {
  readonly started: ReadonlyArray<Started>
  /** The dispatch that failed and stopped the pass, if one did. */
  readonly failed: Option.Option<DispatchError>
}

/**
 * Starts ready tasks until the cap is reached or none is left, fetching each repo once.
 * Stops at the first failed dispatch (that task is already `failed`).
 */
export const dispatchPass = Effect.gen(function* () {
  const config = yield* HubConfig
  const fetched = yield* makeFetchCache
  const started: Array<Started> = []
  // The cap bounds the loop too: a pass never starts more than the cap allows.
  for (let i = 0; i < config.dispatchCap; i++) {
    const next = yield* dispatchNext({ fetched }).pipe(Effect.either)
    if (next._tag === "Left") return { started, failed: Option.some(next.left) } satisfies PassResult
    if (Option.isNone(next.right)) break
    started.push(next.right.value)
    yield* Effect.logInfo(`dispatch ${next.right.value.task.id}: agent started in ${next.right.value.window.windowId}`)
  }
  return { started, failed: Option.none() } satisfies PassResult
}).pipe(Effect.withSpan("Dispatch.pass"))
