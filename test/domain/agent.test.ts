import { describe, expect, it } from "@effect/vitest"
import { modelFor, systemPrompt, taskPrompt } from "../../src/agent/prompts.js"
import { SESSION_NAMESPACE, sessionIdFor, uuidV5 } from "../../src/agent/session.js"
import type { Task } from "../../src/domain/Task.js"
import type { TaskId } from "../../src/domain/TaskId.js"

// Expected values computed independently with Python's uuid module:
//   python3 -c "import uuid; print(uuid.uuid5(uuid.UUID('6ba7b814-9dad-11d1-80b4-00c04fd430c8'), 'TASK-0007#1'))"
const PY_TASK_0007_1 = "1fcea244-b65e-5e4a-a05f-2be8bd12034b"
const PY_TASK_0007_2 = "57bdeb1e-6375-52d1-86fb-fee8d6eeedde"
// The example of Python's documentation: uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org').
const NAMESPACE_DNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
const PY_DNS_PYTHON_ORG = "886313e1-3b8a-5372-9b90-0c9aee199e5d"
// uuid.uuid5(uuid.NAMESPACE_OID, 'python.org')
const NAMESPACE_OID = "6ba7b812-9dad-11d1-80b4-00c04fd430c8"
const PY_OID_PYTHON_ORG = "cd5d0bff-2444-5d26-ab53-4f7db1cb733d"

const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe("session ids (UUID v5)", () => {
  it("uses the namespace the issue fixes", () => {
    expect(SESSION_NAMESPACE).toBe("6ba7b814-9dad-11d1-80b4-00c04fd430c8")
  })

  it("matches Python's uuid5 for the known vectors", () => {
    expect(uuidV5("python.org", NAMESPACE_DNS)).toBe(PY_DNS_PYTHON_ORG)
    expect(uuidV5("python.org", NAMESPACE_OID)).toBe(PY_OID_PYTHON_ORG)
    expect(uuidV5("TASK-0007#1", SESSION_NAMESPACE)).toBe(PY_TASK_0007_1)
  })

  it("sessionIdFor(TASK-0007, n) is the UUID v5 of 'TASK-0007#n'", () => {
    expect(sessionIdFor("TASK-0007", 1)).toBe(PY_TASK_0007_1)
    expect(sessionIdFor("TASK-0007", 2)).toBe(PY_TASK_0007_2)
  })

  it("is stable, distinct per attempt and per task, and well-formed", () => {
    expect(sessionIdFor("TASK-0007", 1)).toBe(sessionIdFor("TASK-0007", 1))
    const ids = new Set<string>()
    for (const task of ["TASK-0001", "TASK-0007", "TASK-0070", "TASK-12345"]) {
      for (const attempt of [1, 2, 3, 10]) {
        const id = sessionIdFor(task, attempt)
        expect(id).toMatch(UUID_V5)
        ids.add(id)
      }
    }
    expect(ids.size).toBe(16)
  })
})

const task = (patch: Partial<Task> = {}): Pick<Task, "id" | "title" | "kind" | "description" | "links" | "comments" | "repo"> => ({
  id: "TASK-0007" as TaskId,
  title: "Fix the login page",
  kind: "implement",
  description: "The login button does nothing on Safari.",
  repo: "acme/web",
  links: ["https://github.com/acme/web/issues/12", "https://example.com/spec"],
  comments: [
    { author: "human", text: "Please add a test.", at: "2024-05-01T10:00:00.000Z" },
    { author: "agent", text: "Which browser version?", at: "2024-05-01T11:00:00.000Z" }
  ],
  ...patch
})

describe("task prompt", () => {
  it("gives id, title, kind, repo, description, links and comments", () => {
    const prompt = taskPrompt(task())
    expect(prompt).toContain("TASK-0007")
    expect(prompt).toContain("Fix the login page")
    expect(prompt).toContain("implement")
    expect(prompt).toContain("acme/web")
    expect(prompt).toContain("The login button does nothing on Safari.")
    expect(prompt).toContain("https://github.com/acme/web/issues/12")
    expect(prompt).toContain("https://example.com/spec")
    expect(prompt).toContain("Please add a test.")
    expect(prompt).toContain("Which browser version?")
    expect(prompt).toContain("human")
    expect(prompt).toContain("agent")
  })

  it("tells the agent how to finish and how to say it is blocked, with its own id", () => {
    const prompt = taskPrompt(task({ id: "TASK-0042" as TaskId }))
    expect(prompt).toContain("hub task link TASK-0042 --url")
    expect(prompt).toContain("hub task report TASK-0042 --status in-review")
    expect(prompt).toContain("hub task comment TASK-0042 --content")
    expect(prompt).toContain("hub task report TASK-0042 --status blocked")
    expect(prompt).not.toContain("TASK-0007")
  })

  it.each(["implement", "review", "debug"] as const)("names the kind %s", (kind) => {
    expect(taskPrompt(task({ kind }))).toContain(`(${kind})`)
  })

  it("says so when there is no repo, no description, no links and no comments", () => {
    const prompt = taskPrompt(task({ repo: null, description: "  ", links: [], comments: [] }))
    expect(prompt).toContain("Repository: none")
    expect(prompt).toContain("(none)")
    expect(prompt).not.toContain("Links:")
    expect(prompt).not.toContain("Comments:")
    // The finishing instructions are always there.
    expect(prompt).toContain("hub task report TASK-0007 --status in-review")
    expect(prompt).toContain("hub task report TASK-0007 --status blocked")
  })

  it("carries hostile task text verbatim (it travels in an environment variable, never a command line)", () => {
    const title = "$(rm -rf ~) `id` '; touch x #"
    expect(taskPrompt(task({ title }))).toContain(title)
  })
})

describe("system prompt and model", () => {
  it("differs per kind and tells the agent to report through hub", () => {
    const prompts = (["implement", "review", "debug"] as const).map(systemPrompt)
    expect(new Set(prompts).size).toBe(3)
    for (const prompt of prompts) expect(prompt).toContain("hub")
  })

  it.each([
    ["debug", "opus"],
    ["implement", "sonnet"],
    ["review", "sonnet"]
  ] as const)("modelFor(%s) = %s", (kind, model) => {
    expect(modelFor(kind)).toBe(model)
  })
})
