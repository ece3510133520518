import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc, Schema } from "effect"
import { compileDecoder } from "../../src/store/decoder.js"
import { EventRow, TaskRow } from "../../src/store/rows.js"

/**
 * The compiled decoder must be Schema's decoder, only faster: for any rows, valid or not, the
 * same Either (the same values with their keys in the same order, or the same ParseError).
 */
const agrees = <A, I>(schema: Schema.Schema<A, I>, rows: ReadonlyArray<unknown>) => {
  const fast = compileDecoder(schema)(rows)
  const slow = Schema.decodeUnknownEither(Schema.Array(schema))(rows)
  expect(fast).toEqual(slow)
  if (Either.isRight(fast) && Either.isRight(slow)) {
    expect(fast.right.map((row) => Object.keys(row as object))).toEqual(slow.right.map((row) => Object.keys(row as object)))
  }
  if (Either.isLeft(fast) && Either.isLeft(slow)) expect(fast.left.message).toBe(slow.left.message)
  return fast
}

/** Rows as SQLite would return them: decoded values of the schema, encoded back, and extra columns. */
const validRows = <A, I>(schema: Schema.Schema<A, I>) =>
  fc.array(Arbitrary.make(schema), { maxLength: 5 }).map((values) =>
    values.map((value) => ({ seq: 1, change_actor: "human", ...(Schema.encodeSync(schema)(value) as object) }))
  )

/** Any value a column could hold, good or bad for it. */
const anyColumnValue = fc.oneof(
  fc.constantFrom(null, undefined, 0, 1, 2, -1, 1.5, Number.NaN, true, false, "", "[]", "{}", "[1]", "not json", "TASK-7",
    "TASK-0007", "ready", "open", "human", "robot", `[{"author":"robot","text":"x","at":"t"}]`,
    `[{"author":"agent","text":"x","at":"t"}]`, `["a","b"]`),
  fc.string(),
  fc.integer(),
  fc.constant({}),
  fc.constant([])
)

/** Valid rows with one column of one row (maybe) replaced by anything. */
const mutatedRows = <A, I>(schema: Schema.Schema<A, I>, columns: ReadonlyArray<string>) =>
  fc.tuple(validRows(schema), fc.nat(), fc.constantFrom(...columns), anyColumnValue, fc.boolean()).map(
    ([rows, which, column, value, drop]) =>
      rows.map((row, i) => {
        if (i !== which % rows.length) return row
        if (!drop) return { ...row, [column]: value }
        const { [column]: _, ...rest } = row as Record<string, unknown>
        return rest
      })
  )

const TASK_COLUMNS = Object.keys(TaskRow.fields)
const EVENT_COLUMNS = ["id", "task_id", "attempt", "from_status", "to_status", "actor", "reason", "at"]

describe("compileDecoder", () => {
  it("decodes valid task rows exactly as Schema does", () => {
    fc.assert(fc.property(validRows(TaskRow), (rows) => {
      expect(Either.isRight(agrees(TaskRow, rows))).toBe(true)
    }), { numRuns: 300 })
  })

  it("refuses every task row Schema refuses, with Schema's ParseError, and accepts no other", () => {
    fc.assert(fc.property(mutatedRows(TaskRow, TASK_COLUMNS), (rows) => {
      agrees(TaskRow, rows)
    }), { numRuns: 2000 })
    // Both ways are taken: the mutations make rows that still decode and rows that do not.
    const outcomes = fc.sample(mutatedRows(TaskRow, TASK_COLUMNS), 500).map((rows) => compileDecoder(TaskRow)(rows)._tag)
    expect(outcomes.filter((tag) => tag === "Right").length).toBeGreaterThan(50)
    expect(outcomes.filter((tag) => tag === "Left").length).toBeGreaterThan(50)
  })

  it("agrees on event rows too (renamed keys go through Schema's own decoder)", () => {
    fc.assert(fc.property(mutatedRows(EventRow, EVENT_COLUMNS), (rows) => {
      agrees(EventRow, rows)
    }), { numRuns: 500 })
  })

  it.each([
    ["not an array of objects", [1, "x", null]],
    ["an empty result", []],
    ["a row that is an array", [[]]]
  ])("agrees on %s", (_, rows) => {
    agrees(TaskRow, rows)
  })

  it("falls back to Schema for what it does not compile (optional fields, records, tuples)", () => {
    const Odd = Schema.Struct({
      a: Schema.optional(Schema.String),
      b: Schema.Record({ key: Schema.String, value: Schema.Number }),
      c: Schema.Tuple(Schema.String, Schema.Number),
      d: Schema.Union(Schema.NumberFromString, Schema.Boolean)
    })
    for (const rows of [
      [{ b: { x: 1 }, c: ["s", 1], d: "12" }],
      [{ a: "x", b: {}, c: ["s", 1], d: true }],
      [{ a: 1, b: {}, c: ["s", 1], d: true }],
      [{ b: { x: "1" }, c: ["s", 1], d: true }],
      [{ b: {}, c: ["s"], d: "x" }]
    ]) agrees(Odd, rows)
  })
})
