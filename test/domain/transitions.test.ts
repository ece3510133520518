import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { TaskStatus } from "../../src/domain/Task.js"
import {
  AGENT_OWNING,
  checkTransition,
  CLAIMABLE,
  CLAIMED,
  COMMITTABLE,
  FINISHED,
  fromStatuses,
  isAllowed,
  isFinished,
  type Move,
  ownsAgent,
  reachable,
  RECONCILE_FROM,
  ROLLBACK_FROM,
  toStatuses,
  TRANSITIONS,
  UNFINISHED,
  NOT_STARTED,
  isNotStarted
} from "../../src/domain/transitions.js"

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

// The status sets the store's SQL and the pipelines used to spell out by hand, as they were:
// reading them off the table must change nothing.
const sorted = (statuses: ReadonlyArray<TaskStatus>) => [...statuses].sort()

describe("status sets read off the table", () => {
  it.each([
    ["claim", ["ready"]],
    ["rollback", ["in-progress"]],
    ["reconcile", ["in-progress"]],
    ["report", ["in-progress", "blocked", "in-review"]],
    ["ready", ["backlog", "blocked", "in-review"]],
    ["retry", ["failed"]],
    ["cancel", ["backlog", "ready", "in-progress", "blocked", "in-review", "failed"]]
  ] as const)("fromStatuses(%s) = %j", (move, expected) => {
    expect(sorted(fromStatuses(move))).toEqual(sorted(expected))
  })

  it.each([
    ["claim", ["in-progress"]],
    ["rollback", ["ready", "failed"]],
    ["reconcile", ["ready", "in-review", "failed"]],
    ["report", ["in-progress", "in-review", "blocked", "done", "failed"]],
    ["cancel", ["cancelled"]]
  ] as const)("toStatuses(%s) = %j", (move, expected) => {
    expect(sorted(toStatuses(move))).toEqual(sorted(expected))
  })

  it("reachable follows a move any number of times, and includes where it starts", () => {
    expect(sorted(reachable(["in-review"], "report"))).toEqual(sorted(["in-review", "done", "blocked", "in-progress", "failed"]))
    expect(reachable(["done"], "report")).toEqual(["done"])
    expect(sorted(reachable(["backlog"], "ready"))).toEqual(["backlog", "ready"])
  })

  it("the claim takes ready and makes in-progress (the SQL: WHERE status = 'ready', SET status = 'in-progress')", () => {
    expect(CLAIMABLE).toEqual(["ready"])
    expect(CLAIMED).toBe("in-progress")
  })

  it("rollback and reconcile apply to in-progress only (the SQL: AND status = 'in-progress')", () => {
    expect(ROLLBACK_FROM).toEqual(["in-progress"])
    expect(RECONCILE_FROM).toEqual(["in-progress"])
  })

  it("a commit accepts exactly what the SQL's NOT IN ('ready', 'backlog', 'cancelled') accepted", () => {
    expect(sorted(COMMITTABLE)).toEqual(sorted(TaskStatus.literals.filter((s) => !["ready", "backlog", "cancelled"].includes(s))))
  })

  it("finished is done, failed, cancelled (task list's old TERMINAL_STATUSES); unfinished is every other status", () => {
    expect(sorted(FINISHED)).toEqual(["cancelled", "done", "failed"])
    expect(sorted(UNFINISHED)).toEqual(sorted(TaskStatus.literals.filter((s) => !["done", "failed", "cancelled"].includes(s))))
  })

  it.each(TaskStatus.literals.map((s) => [s, ["in-progress", "blocked", "in-review"].includes(s)] as const))(
    "ownsAgent(%s) = %s (verify's list of a window's rightful owners)",
    (status, owns) => {
      expect(ownsAgent(status)).toBe(owns)
      expect(AGENT_OWNING.includes(status)).toBe(owns)
    }
  )

  it("every status is finished, owns an agent, or is waiting for a claim: backlog and ready", () => {
    const waiting = TaskStatus.literals.filter((s) => !isFinished(s) && !ownsAgent(s))
    expect(sorted(waiting)).toEqual(["backlog", "ready"])
  })

  it("not started (what `task edit` changes, where a task waits on its dependencies) is backlog and ready", () => {
    expect(NOT_STARTED).toEqual(["backlog", "ready"])
    for (const status of TaskStatus.literals) expect(isNotStarted(status)).toBe(status === "backlog" || status === "ready")
  })
})
