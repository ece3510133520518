import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { InvalidInput, InvalidTransition, StoreError, TaskNotFound } from "../../src/domain/errors.js"
import {
  Actor,
  Author,
  isTerminal,
  RepoName,
  Task,
  TASK_STATUSES,
  TaskEvent,
  TaskKind,
  TaskStatus,
  TERMINAL_STATUSES,
  Title
} from "../../src/domain/Task.js"
import { aTask } from "../support/tasks.js"

const ACCEPTED_REPOS: ReadonlyArray<string> = [
  "owner/name",
  "Effect-TS/effect",
  "a/b",
  "o_1/n_2",
  "_owner/_name",
  "owner/name.js",
  "owner/my.repo-name_2",
  "9owner/9name",
  "owner/name.gitx"
]

const REFUSED_REPOS: ReadonlyArray<string> = [
  "",
  "owner",
  "owner/",
  "/name",
  "/",
  "owner//name",
  "a/b/c",
  "../x",
  "x/..",
  "./x",
  "x/.",
  "..",
  "owner/...",
  "owner/name.git",
  "owner.git/name",
  "-owner/name",
  "owner/-name",
  ".owner/name",
  "owner/.name",
  "own er/name",
  "owner/na me",
  "owner/name ",
  " owner/name",
  "owner/name\n",
  "owner\\name",
  "owner/na$me",
  "owner/na;me",
  "https://github.com/owner/name",
  "git@github.com:owner/name"
]

describe("RepoName", () => {
  it.each(ACCEPTED_REPOS)("accepts %j", (repo) => {
    expect(Schema.decodeUnknownEither(RepoName)(repo)).toEqual(Either.right(repo))
  })

  it.each(REFUSED_REPOS)("refuses %j", (repo) => {
    expect(Either.isLeft(Schema.decodeUnknownEither(RepoName)(repo))).toBe(true)
  })

  it("says why a part ending in .git is refused", () => {
    const result = Schema.decodeUnknownEither(RepoName)("owner/name.git")
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) expect(String(result.left.message)).toContain("end in .git")
  })

  it("refuses what is not a string", () => {
    expect(Either.isLeft(Schema.decodeUnknownEither(RepoName)(42))).toBe(true)
    expect(Either.isLeft(Schema.decodeUnknownEither(RepoName)(null))).toBe(true)
  })
})

describe("statuses, kinds, authors, actors", () => {
  it("has exactly the eight statuses of the issue", () => {
    expect([...TASK_STATUSES].sort()).toEqual(
      ["backlog", "ready", "in-progress", "blocked", "in-review", "done", "failed", "cancelled"].sort()
    )
  })

  it.each([
    ["backlog", false],
    ["ready", false],
    ["in-progress", false],
    ["blocked", false],
    ["in-review", false],
    ["done", true],
    ["failed", true],
    ["cancelled", true]
  ] as const)("isTerminal(%s) = %s", (status, terminal) => {
    expect(isTerminal(status)).toBe(terminal)
    expect(TERMINAL_STATUSES.includes(status)).toBe(terminal)
  })

  it.each(["", "Ready", "in_progress", "inprogress", "review", "closed"])("%j is not a status", (s) => {
    expect(Schema.is(TaskStatus)(s)).toBe(false)
  })

  it("kinds are implement, review, debug", () => {
    expect([...TaskKind.literals]).toEqual(["implement", "review", "debug"])
    expect(Schema.is(TaskKind)("fix")).toBe(false)
  })

  it("authors are human and agent; actors add dispatcher and reconciler", () => {
    expect([...Author.literals]).toEqual(["human", "agent"])
    expect([...Actor.literals].sort()).toEqual(["agent", "dispatcher", "human", "reconciler"])
    expect(Schema.is(Author)("dispatcher")).toBe(false)
  })
})

describe("Title", () => {
  it.each(["x", "Fix the login page", "  padded  ", "$(rm -rf ~)"])("accepts %j", (title) => {
    expect(Schema.decodeUnknownEither(Title)(title)).toEqual(Either.right(title))
  })

  it.each(["", " ", "\t\n "])("refuses %j as empty", (title) => {
    const result = Schema.decodeUnknownEither(Title)(title)
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) expect(result.left.message).toContain("the title may not be empty")
  })
})

const sampleTask = aTask({ comments: [{ author: "agent", text: "hi", at: "2024-01-01T00:00:00.000Z" }] })

describe("Task and TaskEvent schemas", () => {
  it("decodes a task in its snake_case JSON form", () => {
    expect(Schema.decodeUnknownEither(Task)(sampleTask)).toEqual(Either.right(sampleTask))
  })

  it.each([
    ["a non-canonical id", { id: "TASK-7" }],
    ["an unknown status", { status: "open" }],
    ["an unknown kind", { kind: "fix" }],
    ["a comment by a dispatcher", { comments: [{ author: "dispatcher", text: "x", at: "now" }] }],
    ["a missing description", { description: undefined }]
  ] as const)("refuses %s", (_, patch) => {
    expect(Either.isLeft(Schema.decodeUnknownEither(Task)({ ...sampleTask, ...patch }))).toBe(true)
  })

  it("decodes an event whose from is null (creation)", () => {
    const event = {
      id: 1,
      task_id: "TASK-0001",
      attempt: 0,
      from: null,
      to: "ready",
      actor: "human",
      reason: "created",
      at: "2024-01-01T00:00:00.000Z"
    }
    expect(Schema.decodeUnknownEither(TaskEvent)(event)).toEqual(Either.right(event))
    expect(Either.isLeft(Schema.decodeUnknownEither(TaskEvent)({ ...event, actor: "robot" }))).toBe(true)
  })
})

describe("errors", () => {
  it("every error carries a tag and a message", () => {
    const notFound = TaskNotFound.of("TASK-0042")
    expect(notFound._tag).toBe("TaskNotFound")
    expect(notFound.taskId).toBe("TASK-0042")
    expect(notFound.message).toBe("no such task: TASK-0042")
    expect(new InvalidInput({ message: "m" })._tag).toBe("InvalidInput")
    expect(new StoreError({ message: "m" })._tag).toBe("StoreError")
    const invalid = new InvalidTransition({ taskId: "TASK-0001", from: "done", to: "ready", message: "m" })
    expect(invalid._tag).toBe("InvalidTransition")
    expect(invalid.message).toBe("m")
    expect(invalid).toBeInstanceOf(Error)
  })
})
