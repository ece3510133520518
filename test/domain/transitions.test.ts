import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { TaskStatus } from "../../src/domain/Task.js"
import { checkTransition, isAllowed, type Move, TRANSITIONS } from "../../src/domain/transitions.js"

const MOVES: ReadonlyArray<Move> = ["ready", "cancel", "retry", "report", "claim", "rollback", "reconcile"]

// The table of ARCHITECTURE.md, written out independently of the implementation.
const ALLOWED: ReadonlyArray<string> = [
  "backlog ready ready", "backlog cancel cancelled",
  "ready claim in-progress", "ready cancel cancelled",
  "in-progress rollback ready", "in-progress rollback failed",
  "in-progress report in-review", "in-progress report blocked", "in-progress report done", "in-progress report failed",
  "in-progress reconcile ready", "in-progress reconcile in-review", "in-progress reconcile failed",
  "in-progress cancel cancelled",
  "blocked report in-progress", "blocked report in-review", "blocked report done", "blocked ready ready", "blocked cancel cancelled",
  "in-review report done", "in-review report blocked", "in-review ready ready", "in-review cancel cancelled",
  "failed retry ready", "failed cancel cancelled"
]

describe("transition table", () => {
  for (const from of TaskStatus.literals) {
    for (const move of MOVES) {
      for (const to of TaskStatus.literals) {
        const expected = ALLOWED.includes(`${from} ${move} ${to}`)
        it(`${from} --${move}--> ${to}: ${expected ? "allowed" : "refused"}`, () => {
          expect(isAllowed(from, move, to)).toBe(expected)
          const result = checkTransition("TASK-0001", from, move, to)
          expect(Either.isRight(result)).toBe(expected)
          if (Either.isLeft(result)) {
            expect(result.left._tag).toBe("InvalidTransition")
            expect(result.left.message).toContain(from)
            expect(result.left.message).toContain(to)
          }
        })
      }
    }
  }

  it("done and cancelled are terminal: nothing leaves them", () => {
    expect(TRANSITIONS.filter(([from]) => from === "done" || from === "cancelled")).toEqual([])
  })
})
