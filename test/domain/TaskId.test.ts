import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import { parseTaskId } from "../../src/domain/input.js"
import { TaskId, TaskIdFromInput, taskIdFromNumber, taskNumber } from "../../src/domain/TaskId.js"

// What people type → the canonical id. Written out by hand, not derived from the code.
const ACCEPTED: ReadonlyArray<readonly [input: string, canonical: string]> = [
  ["TASK-0007", "TASK-0007"],
  ["task-7", "TASK-0007"],
  ["Task-0007", "TASK-0007"],
  ["TASK-7", "TASK-0007"],
  ["7", "TASK-0007"],
  ["0007", "TASK-0007"],
  ["  7 ", "TASK-0007"],
  ["1", "TASK-0001"],
  ["42", "TASK-0042"],
  ["9999", "TASK-9999"],
  ["10000", "TASK-10000"],
  ["TASK-12345", "TASK-12345"],
  ["task-012345", "TASK-12345"]
]

const REFUSED: ReadonlyArray<string> = [
  "",
  " ",
  "abc",
  "TASK-",
  "TASK",
  "task",
  "-1",
  "0",
  "0000",
  "TASK-0000",
  "1.5",
  "TASK-7x",
  "TASK--7",
  "TASK 7",
  "TASK_7",
  "#7",
  "+7",
  "1e3",
  "0x10",
  "7 8",
  "TASK-0007\nTASK-0008",
  "٧", // an Arabic-Indic seven: not an ASCII digit
  "99999999999999999999" // beyond a safe integer
]

describe("TaskId input", () => {
  it.each(ACCEPTED)("accepts %j as %s", (input, canonical) => {
    const result = parseTaskId(input)
    expect(result).toEqual(Either.right(canonical))
    expect(Schema.decodeUnknownSync(TaskIdFromInput)(input)).toBe(canonical)
    // The canonical form is itself a valid TaskId and parses to itself.
    expect(Schema.is(TaskId)(canonical)).toBe(true)
    expect(parseTaskId(canonical)).toEqual(Either.right(canonical))
  })

  it.each(REFUSED)("refuses %j with InvalidInput naming the input", (input) => {
    const result = parseTaskId(input)
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left._tag).toBe("InvalidInput")
      expect(result.left.message).toBe(`not a task id: '${input}' (expected TASK-0007 or 7)`)
    }
    expect(Either.isLeft(Schema.decodeUnknownEither(TaskIdFromInput)(input))).toBe(true)
  })

  it.effect("the error is a failure of the typed channel, usable with Effect", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(parseTaskId("TASK-"))
      expect(error._tag).toBe("InvalidInput")
      expect(error.message).toContain("TASK-0007")
    }))
})

describe("TaskId (canonical form)", () => {
  it.each(["TASK-0001", "TASK-0007", "TASK-12345", "TASK-0000"])("%s is a TaskId", (id) => {
    expect(Schema.is(TaskId)(id)).toBe(true)
  })

  it.each(["TASK-7", "TASK-007", "task-0007", "7", "TASK-0007 ", " TASK-0007", "TASK-00a7", ""])(
    "%j is not a TaskId",
    (id) => {
      expect(Schema.is(TaskId)(id)).toBe(false)
    }
  )

  it.each([
    [1, "TASK-0001"],
    [7, "TASK-0007"],
    [999, "TASK-0999"],
    [9999, "TASK-9999"],
    [10000, "TASK-10000"],
    [123456, "TASK-123456"]
  ] as const)("taskIdFromNumber(%d) = %s and back", (n, id) => {
    expect(taskIdFromNumber(n)).toBe(id)
    expect(taskNumber(taskIdFromNumber(n))).toBe(n)
  })
})
