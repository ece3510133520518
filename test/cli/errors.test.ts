/**
 * Bad input, as issue 3 defines the answer: one line on stderr starting `hub: `, no stack
 * trace, nothing on stdout; exit 2 for usage errors, exit 1 for a refused operation (a value
 * the domain rejects, a bad id, an unknown task); and the store is left exactly as it was.
 * Refused status moves are in refusals.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { makeSandbox, type Sandbox } from "../support/sandbox.js"
import { create, dbSnapshot, ensureBuilt, failsWith, hub, ok } from "./helpers.js"

beforeAll(ensureBuilt, 180_000)

let sb: Sandbox
let id: string
let showBefore: string
let eventsBefore: string

beforeAll(async () => {
  sb = makeSandbox("cli-errors")
  id = await create(sb, ["--link", "https://example.com/1"], "the one task")
  ok(await hub(sb, ["task", "comment", id, "--content", "a comment"]))
  showBefore = ok(await hub(sb, ["task", "show", id, "--json"]))
  eventsBefore = ok(await hub(sb, ["task", "events", id, "--json"]))
})
afterAll(() => sb?.dispose())

interface Case {
  readonly args: ReadonlyArray<string>
  readonly message?: RegExp
}

/** Runs `hub ARGS`, checks the error contract, and checks that the store did not change. */
const refused = async (c: Case, code: 1 | 2) => {
  const before = dbSnapshot(sb)
  const r = await hub(sb, c.args.map((a) => a.replace("$ID", id)))
  failsWith(r, code, c.message)
  expect(dbSnapshot(sb), `hub ${c.args.join(" ")} changed the store`).toBe(before)
}

const name = (c: Case) => `hub ${c.args.map((a) => (a === "" ? "''" : /\s/.test(a) ? `'${a}'` : a)).join(" ")}`

describe("usage errors: exit 2, one line", () => {
  const cases: ReadonlyArray<Case> = [
    { args: ["task", "create"], message: /--title/ },
    { args: ["task", "create", "--title"], message: /--title/ },
    { args: ["task", "create", "--description", "no title"], message: /--title/ },
    { args: ["task", "create", "--title", "x", "--bogus"], message: /--bogus/ },
    { args: ["task", "list", "--bogus"], message: /--bogus/ },
    { args: ["task", "show", "$ID", "--bogus"], message: /--bogus/ },
    { args: ["task", "frob"], message: /frob|subcommand/ },
    { args: ["frob"], message: /frob|subcommand/ },
    { args: ["repo", "frob"], message: /frob|subcommand/ },
    { args: ["task", "show"], message: /ID/ },
    { args: ["task", "get"], message: /ID/ },
    { args: ["task", "ready"], message: /ID/ },
    { args: ["task", "cancel"], message: /ID/ },
    { args: ["task", "retry"], message: /ID/ },
    { args: ["task", "events"], message: /ID/ },
    { args: ["task", "report", "--status", "done"], message: /ID/ },
    { args: ["task", "comment", "--content", "hello"], message: /ID/ },
    { args: ["task", "link", "--url", "https://example.com/x"], message: /ID/ },
    { args: ["task", "report", "$ID"], message: /--status/ },
    { args: ["task", "comment", "$ID"], message: /--content/ },
    { args: ["task", "link", "$ID"], message: /--url/ },
    { args: ["task", "show", "$ID", "extra"], message: /extra/ }
  ]
  for (const c of cases) it(name(c), () => refused(c, 2))
})

describe("invalid values: exit 1, one line, nothing created or changed", () => {
  const cases: ReadonlyArray<Case> = [
    { args: ["task", "create", "--title", ""], message: /title/ },
    { args: ["task", "create", "--title", "  \n "], message: /title/ },
    { args: ["task", "create", "--title", "x", "--kind", "foo"], message: /foo/ },
    { args: ["task", "create", "--title", "x", "--status", "bogus"], message: /bogus/ },
    { args: ["task", "create", "--title", "x", "--status", "done"], message: /done/ },
    { args: ["task", "create", "--title", "x", "--status", "in-progress"], message: /in-progress/ },
    { args: ["task", "create", "--title", "x", "--repo", "not-a-repo"], message: /not-a-repo/ },
    { args: ["task", "create", "--title", "x", "--repo", "acme/../../etc"], message: /acme/ },
    // The bad value is echoed, its control characters escaped (failsWith checks for ESC).
    { args: ["task", "create", "--title", "x", "--repo", "\u001b[31mred"], message: /'\\u001b\[31mred'/ },
    { args: ["task", "create", "--title", "x", "--link", "not a url"], message: /not a url/ },
    { args: ["task", "create", "--title", "x", "--link", "https://example.com/ok", "--link", "nope"], message: /nope/ },
    { args: ["task", "list", "--status", "bogus"], message: /bogus/ },
    { args: ["task", "list", "--status", "ready", "--status", "bogus"], message: /bogus/ },
    { args: ["task", "report", "$ID", "--status", "bogus"], message: /bogus/ },
    { args: ["task", "comment", "$ID", "--content", ""], message: /comment/ },
    { args: ["task", "comment", "$ID", "--content", "hi", "--author", "robot"], message: /robot/ },
    { args: ["task", "link", "$ID", "--url", "nope"], message: /nope/ }
  ]
  for (const c of cases) it(name(c), () => refused(c, 1))
})

describe("a value outside an option's choices: exit 1, one line naming the valid ones", () => {
  const cases: ReadonlyArray<Case> = [
    { args: ["task", "create", "--title", "x", "--kind", "foo"], message: /'foo' \(one of: implement, review, debug\)/ },
    { args: ["task", "create", "--title", "x", "--kind=foo"], message: /'foo' \(one of: implement, review, debug\)/ },
    { args: ["task", "create", "--title", "x", "--kind", ""], message: /'' \(one of: implement, review, debug\)/ },
    { args: ["task", "create", "--title", "x", "--status", "done"], message: /'done' \(one of: ready, backlog\)/ },
    {
      args: ["task", "list", "--status", "ready", "--status", "bogus"],
      message: /'bogus' \(one of: backlog, ready, in-progress, blocked, in-review, done, failed, cancelled\)/
    },
    // What a report may set is what the transition table lets a report reach.
    { args: ["task", "report", "$ID", "--status", "ready"], message: /'ready' \(one of: in-progress, blocked, in-review, done, failed\)/ },
    { args: ["task", "report", "$ID", "--status", "cancelled"], message: /'cancelled' \(one of: in-progress, blocked, in-review, done, failed\)/ },
    { args: ["task", "comment", "$ID", "--content", "hi", "--author", "robot"], message: /'robot' \(one of: human, agent\)/ }
  ]
  for (const c of cases) it(name(c), () => refused(c, 1))
})

describe("bad ids: exit 1, one line", () => {
  const cases: ReadonlyArray<Case> = [
    { args: ["task", "show", "abc"], message: /abc/ },
    { args: ["task", "show", "TASK-0"], message: /TASK-0/ },
    { args: ["task", "get", "TASK-12a"], message: /TASK-12a/ },
    { args: ["task", "ready", "1.5"], message: /1\.5/ },
    { args: ["task", "cancel", "-1"], message: /-1/ },
    { args: ["task", "retry", "TASK-99999999999999999999"], message: /TASK-9+/ },
    { args: ["task", "events", "0"], message: /0/ }
  ]
  for (const c of cases) it(name(c), () => refused(c, 1))
})

describe("unknown tasks: exit 1, one line naming the task", () => {
  const cases: ReadonlyArray<Case> = [
    { args: ["task", "show", "999"], message: /TASK-0999/ },
    { args: ["task", "get", "task-999", "--json"], message: /TASK-0999/ },
    { args: ["task", "ready", "TASK-0999"], message: /TASK-0999/ },
    { args: ["task", "cancel", "999"], message: /TASK-0999/ },
    { args: ["task", "retry", "999"], message: /TASK-0999/ },
    { args: ["task", "report", "999", "--status", "done"], message: /TASK-0999/ },
    { args: ["task", "comment", "999", "--content", "hello"], message: /TASK-0999/ },
    { args: ["task", "link", "999", "--url", "https://example.com/pr/1"], message: /TASK-0999/ },
    { args: ["task", "events", "999", "--json"], message: /TASK-0999/ }
  ]
  for (const c of cases) it(name(c), () => refused(c, 1))
})

describe("a repeated option given without its value is a usage error", () => {
  // @effect/cli's Options.repeated accepts a trailing `--link` (or `--status`) with no value as
  // "no values": the command then runs as if the option had not been given.
  it("hub task create --title x --link → exit 2, no task created", () =>
    refused({ args: ["task", "create", "--title", "x", "--link"], message: /--link/ }, 2))

  it("hub task list --status → exit 2", () => refused({ args: ["task", "list", "--status"], message: /--status/ }, 2))
})

describe("after every refusal above", () => {
  it("task show --json and task events --json of the task are as they were", async () => {
    expect(ok(await hub(sb, ["task", "show", id, "--json"]))).toBe(showBefore)
    expect(ok(await hub(sb, ["task", "events", id, "--json"]))).toBe(eventsBefore)
  })
})
