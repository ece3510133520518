import { Effect, Either } from "effect"
import { InvalidInput } from "../domain/errors.js"
import { parseTaskId } from "../domain/TaskId.js"

/**
 * Values the domain rejects are refused operations (exit 1), not usage errors (exit 2): options
 * that take free text are checked here. The fixed choices (kind, status, author) are checked
 * in argv.ts, before parsing.
 */

export const parseId = (input: string) => Either.match(parseTaskId(input), { onLeft: Effect.fail, onRight: Effect.succeed })

/** A duration as people write it: 30s, 5m, 72h, 2d, or a bare number of seconds. */
export const parseDuration = (input: string, what: string): Effect.Effect<number, InvalidInput> => {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i.exec(input.trim())
  if (!match) return Effect.fail(new InvalidInput({ message: `not a duration for ${what}: '${input}' (e.g. 30s, 5m, 72h)` }))
  const unit = (match[2] ?? "s").toLowerCase()
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!
  return Effect.succeed(Number(match[1]) * factor)
}

export const nonEmpty = (value: string, what: string) =>
  value.trim() === "" ? Effect.fail(new InvalidInput({ message: `${what} may not be empty` })) : Effect.succeed(value)
