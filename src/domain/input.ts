import { Either, Schema } from "effect"
import { InvalidInput } from "./errors.js"
import { type TaskId, TaskIdFromInput } from "./TaskId.js"

/** A task id as people type it, or the one-line refusal that names what was expected. */
export const parseTaskId = (input: string): Either.Either<TaskId, InvalidInput> =>
  Schema.decodeEither(TaskIdFromInput)(input).pipe(
    Either.mapLeft(() => new InvalidInput({ message: `not a task id: '${input}' (expected TASK-0007 or 7)` }))
  )
