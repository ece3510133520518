/**
 * Order among tasks (issue 13) through the built bin: `task create --priority --after`, `task
 * edit`, what `task show`, `task list` and `hub status` say of a task that waits, and the
 * refusals (exit 1 or 2, one line, nothing created or changed).
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { create, dbSnapshot, ensureBuilt, eventsJson, failsWith, forceStatus, hub, ok, okJson, sandboxFor, showJson } from "./helpers.js"

beforeAll(ensureBuilt, 180_000)

/** The line of `text` (a table) that starts with `id`. */
const rowOf = (text: string, id: string) => text.split("\n").find((line) => line.startsWith(`${id} `))

describe("hub task create --priority --after", () => {
  const s = sandboxFor("cli-order-create")

  it("a new task is normal and waits for nothing; --priority in any letter case; --after by any form of id", async () => {
    const first = okJson(await hub(s.sb, ["task", "create", "--title", "first", "--json"]))
    expect(first).toMatchObject({ priority: "normal", after: [] })
    const second = await create(s.sb, ["--priority", "LOW"], "second")
    const third = okJson(await hub(s.sb, [
      "task", "create", "--title", "third", "--priority=High", "--after", "1", "--after", "task-2", "--after", "TASK-0001", "--json"
    ]))
    expect(third).toMatchObject({ priority: "high", after: ["TASK-0001", second] })
    expect(await showJson(s.sb, third.id)).toMatchObject({ priority: "high", after: ["TASK-0001", "TASK-0002"] })
    // One event, the creation, as for any task.
    expect((await eventsJson(s.sb, third.id)).map((e) => e.reason)).toEqual(["created"])
  })

  const refusals: ReadonlyArray<readonly [string, ReadonlyArray<string>, 1 | 2, RegExp]> = [
    ["a priority outside the choices", ["--priority", "urgent"], 1, /^hub: not a priority: 'urgent' \(one of: high, normal, low\)\n$/],
    ["an empty priority", ["--priority="], 1, /^hub: not a priority: '' \(one of: high, normal, low\)\n$/],
    ["an unknown dependency", ["--after", "1", "--after", "99"], 1, /^hub: cannot wait for TASK-0099: no such task\n$/],
    ["a dependency that is not an id", ["--after", "first"], 1, /^hub: not a task id: 'first' \(expected TASK-0007 or 7\)\n$/],
    ["--after without its value", ["--after"], 2, /^hub: Expected a value following option: '--after'/],
    ["--priority without its value", ["--priority"], 2, /^hub: Expected a value following option: '--priority'/]
  ]
  for (const [what, args, code, message] of refusals) {
    it(`refuses ${what} (exit ${code}, one line) and creates nothing`, async () => {
      const before = dbSnapshot(s.sb)
      failsWith(await hub(s.sb, ["task", "create", "--title", "refused", ...args]), code, message)
      expect(dbSnapshot(s.sb)).toBe(before)
    })
  }
})

describe("what a waiting task says", () => {
  const s = sandboxFor("cli-order-waiting")

  it("task show, task list and hub status: waiting on each dependency not done, with its status", async () => {
    const base = await create(s.sb, [], "base")
    const side = await create(s.sb, [], "side")
    const dependent = await create(s.sb, ["--after", base, "--after", side, "--priority", "high"], "dependent")
    const backlogged = await create(s.sb, ["--after", base, "--status", "backlog"], "backlogged")
    forceStatus(s.sb, base, "in-progress", { newAttempt: true })
    forceStatus(s.sb, base, "failed", { error: "boom" })
    forceStatus(s.sb, side, "in-progress", { newAttempt: true })
    forceStatus(s.sb, side, "done")

    const shown = ok(await hub(s.sb, ["task", "show", dependent]))
    expect(shown).toContain(`status:      ready, waiting on ${base} (failed)\n`)
    expect(shown).toContain("priority:    high\n")
    expect(shown).toContain(`after:       ${base}, ${side}\n`)

    const list = ok(await hub(s.sb, ["task", "list"]))
    expect(list.split("\n")[0]).toMatch(/^ID\s+STATUS\s+PRIORITY\s+KIND\s+REPO\s+TITLE$/)
    expect(rowOf(list, dependent)).toMatch(new RegExp(`^${dependent}\\s+ready, waiting on ${base} \\(failed\\)\\s+high\\s+implement\\s+-\\s+dependent$`))
    expect(rowOf(list, backlogged)).toMatch(new RegExp(`^${backlogged}\\s+backlog, waiting on ${base} \\(failed\\)\\s+normal\\s+`))
    expect(rowOf(list, side)).toMatch(new RegExp(`^${side}\\s+done\\s+normal\\s+`))

    const status = ok(await hub(s.sb, ["status"]))
    expect(rowOf(status, dependent)).toMatch(new RegExp(`^${dependent}\\s+ready, waiting on ${base} \\(failed\\)\\s+-`))
    const rows = okJson<Array<any>>(await hub(s.sb, ["status", "--json"]))
    expect(rows.find((r) => r.id === dependent)).toMatchObject({ priority: "high", waiting_on: [{ id: base, status: "failed" }] })
    expect(rows.find((r) => r.id === backlogged)).toMatchObject({ priority: "normal", waiting_on: [{ id: base, status: "failed" }] })

    // Several dependencies not done: each, in id order; one merely not done yet: its status.
    forceStatus(s.sb, base, "ready")
    const several = await create(s.sb, ["--after", dependent, "--after", base], "several")
    expect(ok(await hub(s.sb, ["task", "show", several]))).toContain(
      `status:      ready, waiting on ${base} (ready), ${dependent} (ready)\n`
    )
    // Once they are all done it waits no more, and says nothing of it.
    for (const id of [base, dependent]) {
      forceStatus(s.sb, id, "in-progress", { newAttempt: true })
      forceStatus(s.sb, id, "done")
    }
    expect(ok(await hub(s.sb, ["task", "show", several]))).toContain("status:      ready\n")
    expect(rowOf(ok(await hub(s.sb, ["task", "list"])), several)).toMatch(new RegExp(`^${several}\\s+ready\\s+normal\\s+`))
    expect(okJson<Array<any>>(await hub(s.sb, ["status", "--json"])).find((r) => r.id === several)).toMatchObject({ waiting_on: [] })
  })
})

describe("hub task edit", () => {
  const s = sandboxFor("cli-order-edit")

  it("changes the title, description and priority of a backlog or ready task, and writes no event", async () => {
    const ready = await create(s.sb, [], "old title")
    const backlog = await create(s.sb, ["--status", "backlog"], "in the backlog")
    const events = await eventsJson(s.sb, ready)
    expect(ok(await hub(s.sb, ["task", "edit", ready, "--title", "new title", "--description", "now with details", "--priority", "HIGH"])))
      .toBe(`${ready} edited\n`)
    expect(await showJson(s.sb, ready)).toMatchObject({ title: "new title", description: "now with details", priority: "high", status: "ready" })
    expect(await eventsJson(s.sb, ready)).toEqual(events)
    const edited = okJson(await hub(s.sb, ["task", "edit", "task-2", "--priority", "low", "--json"]))
    expect(edited).toMatchObject({ id: backlog, title: "in the backlog", priority: "low", status: "backlog" })
  })

  it("refuses a task an agent has taken or that is finished: exit 1, one line, nothing changed", async () => {
    for (const path of [["in-progress"], ["in-progress", "blocked"], ["in-progress", "in-review"], ["in-progress", "done"], ["in-progress", "failed"], ["cancelled"]]) {
      const id = await create(s.sb, [], `to be ${path.at(-1)}`)
      for (const status of path) forceStatus(s.sb, id, status, { newAttempt: status === "in-progress" })
      const before = dbSnapshot(s.sb)
      failsWith(
        await hub(s.sb, ["task", "edit", id, "--title", "changed"]),
        1,
        new RegExp(`^hub: ${id} is ${path.at(-1)}: only a task not yet started \\(backlog or ready\\) can be edited\\n$`)
      )
      expect(dbSnapshot(s.sb)).toBe(before)
    }
  })

  const refusals: ReadonlyArray<readonly [string, ReadonlyArray<string>, 1 | 2, RegExp]> = [
    ["nothing to change", ["1"], 2, /^hub: nothing to change: give --title, --description or --priority \(see --help\)\n$/],
    ["an empty title", ["1", "--title", "  "], 1, /^hub: the title may not be empty\n$/],
    ["a priority outside the choices", ["1", "--priority", "asap"], 1, /^hub: not a priority: 'asap' \(one of: high, normal, low\)\n$/],
    ["an unknown task", ["99", "--title", "x"], 1, /^hub: no such task: TASK-0099\n$/],
    ["a bad id", ["x1", "--title", "x"], 1, /^hub: not a task id: 'x1'/],
    ["no id", ["--title", "x"], 2, /^hub: /]
  ]
  for (const [what, args, code, message] of refusals) {
    it(`refuses ${what} (exit ${code}, one line) and changes nothing`, async () => {
      if (ok(await hub(s.sb, ["task", "list", "--json"])) === "[]\n") await create(s.sb)
      const before = dbSnapshot(s.sb)
      failsWith(await hub(s.sb, ["task", "edit", ...args]), code, message)
      expect(dbSnapshot(s.sb)).toBe(before)
    })
  }
})
