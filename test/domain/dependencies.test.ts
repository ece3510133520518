import { describe, expect, it } from "@effect/vitest"
import { DEPENDENCY_MET, waitingText } from "../../src/domain/dependencies.js"
import type { TaskId } from "../../src/domain/TaskId.js"
import { isFinished, TRANSITIONS } from "../../src/domain/transitions.js"

const id = (n: number) => `TASK-${String(n).padStart(4, "0")}` as TaskId

describe("dependencies", () => {
  it("done meets a dependency, and nothing leads out of done, so a met one stays met", () => {
    expect(DEPENDENCY_MET).toBe("done")
    expect(isFinished(DEPENDENCY_MET)).toBe(true)
    expect(TRANSITIONS.filter(([from]) => from === DEPENDENCY_MET)).toEqual([])
  })

  it("says what a task waits on: each dependency not done with its status, in the order given", () => {
    expect(waitingText([])).toBeUndefined()
    expect(waitingText([{ id: id(1), status: "failed" }])).toBe("waiting on TASK-0001 (failed)")
    expect(waitingText([{ id: id(1), status: "in-progress" }, { id: id(12), status: "cancelled" }])).toBe(
      "waiting on TASK-0001 (in-progress), TASK-0012 (cancelled)"
    )
  })
})
