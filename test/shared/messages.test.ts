import { SqlError } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigError, Data, FiberId } from "effect"
import { StoreError, WorktreeError } from "../../src/domain/errors.js"
import { TaskId } from "../../src/domain/TaskId.js"
import { causeMessage, messageOf, oneLine } from "../../src/shared/messages.js"

class Untold extends Data.TaggedError("Untold")<{}> {}

describe("messageOf", () => {
  it.each([
    ["a tagged error: its message", new WorktreeError({ taskId: TaskId.make("TASK-0001"), message: "fatal: no repo" }), "fatal: no repo"],
    ["an Error", new Error("boom"), "boom"],
    ["a message over lines, on one", new StoreError({ message: "first\n  second \n third" }), "first second third"],
    ["a tagged error with no message: its tag", new Untold(), "Untold"],
    ["an Error with no message: its name", new Error(""), "Error"],
    ["a string", "plain", "plain"],
    ["a number", 42, "42"],
    ["null", null, "null"],
    ["undefined", undefined, "undefined"],
    [
      "a SqlError: the driver's message under it",
      new SqlError.SqlError({ cause: Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" }), message: "Failed to execute statement" }),
      "database is locked"
    ],
    ["a SqlError without a cause: its own message", new SqlError.SqlError({ message: "Failed to prepare statement" }), "Failed to prepare statement"]
  ] as const)("%s", (_, error, expected) => {
    expect(messageOf(error)).toBe(expected)
  })

  it("a ConfigError says the configuration is invalid", () => {
    const message = messageOf(ConfigError.InvalidData(["HUB_DISPATCH_CAP"], "Expected an integer"))
    expect(message).toMatch(/^invalid configuration: /)
    expect(message).toContain("HUB_DISPATCH_CAP")
    expect(message.split("\n")).toHaveLength(1)
  })
})

describe("causeMessage", () => {
  it("a failure: its message", () => {
    expect(causeMessage(Cause.fail(new WorktreeError({ taskId: TaskId.make("TASK-0001"), message: "fatal: x" })))).toBe("fatal: x")
  })

  it("the first failure of several", () => {
    expect(causeMessage(Cause.sequential(Cause.fail(new Error("one")), Cause.fail(new Error("two"))))).toBe("one")
  })

  it("a defect: defect: and its message", () => {
    expect(causeMessage(Cause.die(new TypeError("x is undefined")))).toBe("defect: x is undefined")
    expect(causeMessage(Cause.die("odd\nvalue"))).toBe("defect: odd value")
  })

  it("a failure wins over a defect beside it", () => {
    expect(causeMessage(Cause.parallel(Cause.die(new Error("d")), Cause.fail(new Error("f"))))).toBe("f")
  })

  it("an interruption", () => {
    expect(causeMessage(Cause.interrupt(FiberId.none))).toBe("interrupted")
  })

  it("is always one line", () => {
    for (const cause of [Cause.empty, Cause.fail(new Error("a\nb")), Cause.die(new Error("c\r\nd"))]) {
      expect(causeMessage(cause).split("\n")).toHaveLength(1)
      expect(causeMessage(cause)).not.toBe("")
    }
  })
})

describe("oneLine", () => {
  it("folds line breaks and the blanks around them, and trims", () => {
    expect(oneLine("  a \n\n  b\tc\n")).toBe("a b\tc")
  })
})
