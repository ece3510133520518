import { Effect, Either } from "effect"
import { InvalidInput } from "../domain/errors.js"
import { parseDurationMs } from "../domain/duration.js"
import { parseTaskId } from "../domain/input.js"

/**
 * Values the domain rejects are refused operations (exit 1), not usage errors (exit 2): options
 * that take free text are checked here. The fixed choices (kind, status, author) are checked
 * in argv.ts, before parsing.
 */

export const parseId = (input: string) => Either.match(parseTaskId(input), { onLeft: Effect.fail, onRight: Effect.succeed })

/** A duration as people write it: 30s, 5m, 72h, 2d, or a bare number of seconds. */
export const parseDuration = (input: string, what: string): Effect.Effect<number, InvalidInput> => {
  const ms = parseDurationMs(input)
  return ms === undefined
    ? Effect.fail(new InvalidInput({ message: `not a duration for ${what}: '${input}' (e.g. 30s, 5m, 72h)` }))
    : Effect.succeed(ms)
}

export const nonEmpty = (value: string, what: string) =>
  value.trim() === "" ? Effect.fail(new InvalidInput({ message: `${what} may not be empty` })) : Effect.succeed(value)
