import { ParseResult, Schema } from "effect"

/** `TASK-` followed by at least four digits: the canonical, stored form. */
export const TaskId = Schema.String.pipe(
  Schema.pattern(/^TASK-\d{4,}$/),
  Schema.brand("TaskId")
)
export type TaskId = typeof TaskId.Type

/** Formats a sequence number as a task id: 7 → TASK-0007. */
export const taskIdFromNumber = (n: number): TaskId => TaskId.make(`TASK-${String(n).padStart(4, "0")}`)

/**
 * What people type: `TASK-0007`, `task-7`, `7`, `0007`. The number is canonicalized so
 * `TASK-7` and `TASK-0007` name the same task.
 */
export const TaskIdFromInput = Schema.transformOrFail(Schema.String, TaskId, {
  strict: true,
  decode: (input, _, ast) => {
    const match = /^(?:task-)?(\d+)$/i.exec(input.trim())
    const n = match ? Number(match[1]) : NaN
    return Number.isSafeInteger(n) && n > 0
      ? ParseResult.succeed(taskIdFromNumber(n))
      : ParseResult.fail(new ParseResult.Type(ast, input, `not a task id: '${input}' (expected TASK-0007 or 7)`))
  },
  encode: ParseResult.succeed
})

/** The number inside an id, for ordering and for the store's sequence column. */
export const taskNumber = (id: TaskId): number => Number(id.slice(5))
