import { Effect, Either, Schema } from "effect"
import { InvalidInput } from "../domain/errors.js"
import { TaskKind, TaskStatus } from "../domain/Task.js"
import { parseDurationMs } from "../domain/duration.js"
import { parseTaskId } from "../domain/input.js"

/**
 * Values the domain rejects are refused operations (exit 1), not usage errors (exit 2):
 * options take text and are checked here, with the accepted values in the message.
 */
const literal = <A extends string>(schema: Schema.Schema<A, A>, what: string, accepted: ReadonlyArray<string>) =>
  (input: string): Effect.Effect<A, InvalidInput> =>
    Either.match(Schema.decodeUnknownEither(schema)(input.trim().toLowerCase()), {
      onLeft: () => Effect.fail(new InvalidInput({ message: `not a ${what}: '${input}' (one of: ${accepted.join(", ")})` })),
      onRight: Effect.succeed
    })

export const parseStatus = literal(TaskStatus, "status", TaskStatus.literals)
export const parseKind = literal(TaskKind, "kind", TaskKind.literals)
export const parseAuthor = literal(Schema.Literal("human", "agent"), "author", ["human", "agent"])

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
