/**
 * The fast path (src/cli/fastArgs.ts, fast.ts, src/fastMain.ts): which command lines it takes,
 * and that for each of them the bin says exactly what the full CLI (dist/hub-main.cjs, run
 * directly) says: the same stdout, stderr and exit code.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as path from "node:path"
import { parseFast } from "../../src/cli/fastArgs.js"
import { BIN, makeSandbox, ROOT, type Sandbox } from "../support/sandbox.js"
import { ensureBuilt, nodeIn } from "./helpers.js"

const argv = (...args: Array<string>) => ["node", "hub", ...args]

describe("parseFast: the forms the fast path takes", () => {
  it("task list, with its flags and statuses", () => {
    expect(parseFast(argv("task", "list"))).toEqual({ command: "list", status: [], all: false, json: false })
    expect(parseFast(argv("task", "list", "--status", "ready", "--json", "--status", "done", "--all"))).toEqual({
      command: "list",
      status: ["ready", "done"],
      all: true,
      json: true
    })
  })

  it("task show and get, with an id in any form (the store judges it)", () => {
    expect(parseFast(argv("task", "show", "7"))).toEqual({ command: "show", id: "7", json: false })
    expect(parseFast(argv("task", "get", "--json", "TASK-0007"))).toEqual({ command: "show", id: "TASK-0007", json: true })
    expect(parseFast(argv("task", "show", "no-such-id"))).toEqual({ command: "show", id: "no-such-id", json: false })
  })

  it("task create, its defaults and every option", () => {
    expect(parseFast(argv("task", "create", "--title", "x"))).toEqual({
      command: "create",
      title: "x",
      kind: "implement",
      repo: undefined,
      description: "",
      link: [],
      status: "ready",
      priority: "normal",
      after: [],
      json: false
    })
    expect(parseFast(argv(
      "task", "create", "--json", "--title", "t", "--kind", "review", "--repo", "a/b", "--description", "d e",
      "--link", "https://a", "--link", "https://b", "--status", "backlog", "--priority", "high", "--after", "1", "--after", "TASK-0002"
    ))).toEqual({
      command: "create",
      title: "t",
      kind: "review",
      repo: "a/b",
      description: "d e",
      link: ["https://a", "https://b"],
      status: "backlog",
      priority: "high",
      after: ["1", "TASK-0002"],
      json: true
    })
  })

  const declined: ReadonlyArray<ReadonlyArray<string>> = [
    [],
    ["--version"],
    ["status"],
    ["task"],
    ["task", "events", "7"],
    ["task", "constructor"],
    ["task", "toString"],
    ["task", "list", "--help"],
    ["task", "list", "-h"],
    ["task", "list", "--wizard"],
    ["task", "list", "--log-level", "debug"],
    ["task", "list", "--status=ready"],
    ["task", "list", "--status=Ready"],
    ["task", "list", "--json", "--json"],
    ["task", "list", "--json", "false"],
    ["task", "list", "extra"],
    ["task", "show"],
    ["task", "show", "1", "2"],
    ["task", "show", "1", "--all"],
    ["task", "show", ""],
    ["task", "create"],
    ["task", "create", "--kind", "review"],
    ["task", "create", "--kind", "Review"],
    ["task", "create", "--title", ""],
    ["task", "create", "--title", "-x"],
    ["task", "create", "--title", "a", "--title", "b"],
    ["task", "create", "--title", "x", "--kind", "debug", "--kind", "review"],
    ["task", "create", "--title", "x", "--kind=debug"],
    ["task", "create", "--title", "x", "--all"],
    ["task", "create", "--title", "x", "positional"],
    ["task", "create", "--title", "x", "--priority", "high", "--priority", "low"],
    ["task", "create", "--title", "x", "--priority=high"],
    ["task", "create", "--title", "x", "--after", "-1"]
  ]
  for (const args of declined) {
    it(`declines hub ${args.join(" ") || "(nothing)"}`, () => expect(parseFast(argv(...args))).toBeUndefined())
  }

  it("takes a choice in any letter case, as the full CLI does (src/cli/argv.ts)", () => {
    expect(parseFast(argv("task", "list", "--status", "Ready", "--status", " DONE "))).toEqual({
      command: "list",
      status: ["ready", "done"],
      all: false,
      json: false
    })
    expect(parseFast(argv("task", "create", "--title", "x", "--kind", "DEBUG", "--status", "Backlog"))).toMatchObject({
      command: "create",
      kind: "debug",
      status: "backlog"
    })
  })

  const refused: ReadonlyArray<readonly [ReadonlyArray<string>, 1 | 2, string]> = [
    [["task", "list", "--status"], 2, "Expected a value following option: '--status' (see --help)"],
    [["task", "list", "--status", "bogus"], 1, "not a status: 'bogus' (one of: backlog, ready, in-progress, blocked, in-review, done, failed, cancelled)"],
    [["task", "list", "--help", "--status", "Bogus"], 1, "not a status: 'Bogus' (one of: backlog, ready, in-progress, blocked, in-review, done, failed, cancelled)"],
    [["task", "show", "7", "--status"], 2, "Expected a value following option: '--status' (see --help)"],
    [["task", "create", "--title"], 2, "Expected a value following option: '--title' (see --help)"],
    [["task", "create", "--title", "x", "--link"], 2, "Expected a value following option: '--link' (see --help)"],
    [["task", "create", "--title", "x", "--kind", "bogus"], 1, "not a kind: 'bogus' (one of: implement, review, debug)"],
    [["task", "create", "--title", "x", "--kind=bogus"], 1, "not a kind: 'bogus' (one of: implement, review, debug)"],
    [["task", "create", "--title", "x", "--status", "bogus"], 1, "not a status for a new task: 'bogus' (one of: ready, backlog)"],
    [["task", "create", "--title", "x", "--status", "done"], 1, "not a status for a new task: 'done' (one of: ready, backlog)"],
    [["task", "create", "--title", "x", "--priority", "urgent"], 1, "not a priority: 'urgent' (one of: high, normal, low)"],
    [["task", "create", "--title", "x", "--after"], 2, "Expected a value following option: '--after' (see --help)"]
  ]
  for (const [args, code, message] of refused) {
    it(`refuses hub ${args.join(" ")} before parsing, as the full CLI does`, () =>
      expect(parseFast(argv(...args))).toEqual({ command: "refused", refusal: { code, message } }))
  }
})

/** The bin (whose launcher picks the fast path) or the full CLI's bundle, run directly. */
const run = (sb: Sandbox, script: string, args: ReadonlyArray<string>) => nodeIn(sb, sb.dir, script, args)

const FULL = path.join(ROOT, "dist", "hub-main.cjs")

describe("the fast path says what the full CLI says", () => {
  beforeAll(ensureBuilt, 180_000)
  const holder = {} as { sb: Sandbox }
  beforeAll(async () => {
    holder.sb = makeSandbox("cli-fast")
    for (const title of ["first", "second\nline", "third \u001b[31mred"]) {
      const made = await run(holder.sb, BIN, ["task", "create", "--title", title, "--link", "https://example.com/pr/1"])
      expect(made.code).toBe(0)
    }
    expect((await run(holder.sb, BIN, ["task", "comment", "2", "--content", "a note"])).code).toBe(0)
    // TASK-0004 waits on TASK-0001 and TASK-0003, at high priority.
    expect((await run(holder.sb, BIN, ["task", "create", "--title", "waits", "--after", "1", "--after", "3", "--priority", "high"])).code).toBe(0)
  }, 60_000)
  afterAll(() => holder.sb?.dispose())

  const same: ReadonlyArray<ReadonlyArray<string>> = [
    ["task", "list"],
    ["task", "list", "--json"],
    ["task", "list", "--all", "--status", "ready", "--status", "done"],
    ["task", "list", "--status", "in-review"],
    ["task", "show", "2"],
    ["task", "get", "TASK-0002", "--json"],
    ["task", "show", "99"],
    ["task", "show", "bogus"],
    ["task", "create", "--title", "  "],
    ["task", "create", "--title", "x", "--repo", "not a repo"],
    ["task", "create", "--title", "x", "--link", "not a url"],
    ["task", "create", "--title", "x", "--status", "done"],
    ["task", "show", "3"],
    ["task", "show", "\u001b[1m"],
    ["task", "list", "--status", "READY", "--json"],
    ["task", "list", "--status"],
    ["task", "list", "--status", "bogus"],
    ["task", "show", "7", "--status"],
    ["task", "create", "--title"],
    ["task", "create", "--title", "t", "--kind", "nope"],
    ["task", "create", "--title", "t", "--kind=nope"],
    ["task", "create", "--title", "t", "--status", "Done"],
    ["task", "create", "--kind", "nope", "--help"],
    ["task", "show", "4"],
    ["task", "show", "4", "--json"],
    ["task", "create", "--title", "t", "--priority", "urgent"],
    ["task", "create", "--title", "t", "--after", "99"],
    ["task", "create", "--title", "t", "--after", "1", "--after", "bogus"],
    ["task", "create", "--title", "t", "--after"]
  ]
  for (const args of same) {
    it(`hub ${args.join(" ")}`, async () => {
      expect(parseFast(argv(...args))).toBeDefined()
      const full = await run(holder.sb, FULL, args)
      const fast = await run(holder.sb, BIN, args)
      expect(fast).toEqual(full)
    })
  }

  /** `args` (a create with --json) through the full CLI, then the bin: both tasks and ids. */
  const createBoth = async (args: ReadonlyArray<string>) => {
    const full = await run(holder.sb, FULL, args)
    const fast = await run(holder.sb, BIN, args)
    expect([full.code, fast.code, full.stderr, fast.stderr]).toEqual([0, 0, "", ""])
    const { id: fullId, created_at: _a, updated_at: _b, ...fullTask } = JSON.parse(full.stdout)
    const { id: fastId, created_at: _c, updated_at: _d, ...fastTask } = JSON.parse(fast.stdout)
    expect(fastTask).toEqual(fullTask)
    return { task: fastTask, ids: [fullId, fastId] }
  }

  it("hub task create: the same task, the next id", async () => {
    const { ids } = await createBoth([
      "task", "create", "--title", "made", "--kind", "debug", "--description", "d", "--link", "https://a.example", "--status", "backlog", "--json"
    ])
    expect(ids).toEqual(["TASK-0005", "TASK-0006"])
    expect((await run(holder.sb, BIN, ["task", "create", "--title", "plain"])).stdout).toBe("TASK-0007\n")
  })

  it("hub task create --priority --after: the same task", async () => {
    const args = ["task", "create", "--title", "ordered", "--priority", "Low", "--after", "task-4", "--after", "2", "--json"]
    expect(parseFast(argv(...args))).toMatchObject({ command: "create", priority: "low", after: ["task-4", "2"] })
    expect((await createBoth(args)).task).toMatchObject({ priority: "low", after: ["TASK-0004", "TASK-0002"] })
  })

  it("hub task create with choices in any letter case: the same task", async () => {
    const args = ["task", "create", "--title", "cased", "--kind", "DEBUG", "--status", " Backlog", "--json"]
    expect(parseFast(argv(...args))).toMatchObject({ command: "create", kind: "debug", status: "backlog" })
    expect((await createBoth(args)).task).toMatchObject({ kind: "debug", status: "backlog" })
  })
})
