/**
 * The task commands of issue 3, run through the built bin as a user would: stdout, stderr and
 * the exit code of `hub task create|list|show|get|ready|cancel|retry|report|comment|link|events`.
 * (Bad input of every kind is in errors.test.ts.)
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import {
  age,
  bulkInsert,
  create,
  ensureBuilt,
  eventsJson,
  forceStatus,
  hub,
  hubIn,
  ISO_TIME,
  ok,
  okJson,
  sandboxFor,
  showJson,
  TASK_FIELDS
} from "./helpers.js"

beforeAll(ensureBuilt, 180_000)

describe("hub task create", () => {
  const s = sandboxFor("cli-create")

  it("prints the new id alone on stdout; ids count up; --json prints the task with every contract field", async () => {
    expect(ok(await hub(s.sb, ["task", "create", "--title", "first"]))).toBe("TASK-0001\n")
    const task = okJson(await hub(s.sb, ["task", "create", "--title", "minimal", "--json"]))
    for (const field of TASK_FIELDS) expect(task, field).toHaveProperty(field)
    expect(task).toMatchObject({
      id: "TASK-0002",
      title: "minimal",
      kind: "implement",
      status: "ready",
      repo: null,
      description: "",
      links: [],
      comments: [],
      attempt: 0,
      session_id: null,
      error: null
    })
    expect(task.created_at).toMatch(ISO_TIME)
    expect(task.updated_at).toMatch(ISO_TIME)
    // What create printed is what the store holds.
    const shown = await showJson(s.sb, "TASK-0002")
    for (const field of TASK_FIELDS) expect(shown[field], field).toEqual(task[field])
    // The creation is the first event of the history.
    const events = await eventsJson(s.sb, "TASK-0002")
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ task_id: "TASK-0002", from: null, to: "ready", actor: "human", attempt: 0 })
  })

  it("takes --status backlog, --kind, --repo, --description and repeated --link", async () => {
    const description = "line one\n  line two with 'quotes' and \"double\" and $VARS\n"
    const links = ["https://example.com/issues/1", "https://example.com/pull/2", "https://example.com/a?b=c#d"]
    const task = okJson(await hub(s.sb, [
      "task", "create",
      "--title", "everything",
      "--status", "backlog",
      "--kind", "review",
      "--repo", "acme/widget",
      "--description", description,
      ...links.flatMap((l) => ["--link", l]),
      "--json"
    ]))
    expect(task).toMatchObject({ title: "everything", status: "backlog", kind: "review", repo: "acme/widget", description, links })
    const shown = await showJson(s.sb, task.id)
    expect(shown).toMatchObject({ status: "backlog", kind: "review", repo: "acme/widget", description, links })
  })

  it("--kind debug with an explicit --status ready", async () => {
    const task = okJson(await hub(s.sb, ["task", "create", "--title", "dbg", "--kind", "debug", "--status", "ready", "--json"]))
    expect(task).toMatchObject({ kind: "debug", status: "ready", repo: null })
  })

  it("takes the choices in any letter case, as --opt value and as --opt=value", async () => {
    const task = okJson(await hub(s.sb, ["task", "create", "--title", "loud", "--kind", "DEBUG", "--status=Backlog", "--json"]))
    expect(task).toMatchObject({ kind: "debug", status: "backlog" })
    const listed = okJson<Array<{ id: string }>>(await hub(s.sb, ["task", "list", "--status", "BackLog", "--json"]))
    expect(listed.map((t) => t.id)).toContain(task.id)
    ok(await hub(s.sb, ["task", "comment", task.id, "--content", "hi", "--author", "Agent"]))
    expect((await showJson(s.sb, task.id)).comments[0]).toMatchObject({ author: "agent", text: "hi" })
  })
})

describe("hub task list", () => {
  const s = sandboxFor("cli-list")

  it("with no tasks: exit 0, --json is an empty array", async () => {
    expect(okJson(await hub(s.sb, ["task", "list", "--json"]))).toEqual([])
    expect(ok(await hub(s.sb, ["task", "list"]))).not.toMatch(/TASK-/)
  })

  it("filters by repeated --status, shows recent terminal tasks and hides older ones unless --all", async () => {
    const readyOld = await create(s.sb, [], "ready but untouched for a month")
    const backlog = await create(s.sb, ["--status", "backlog"], "in the backlog")
    const cancelledNew = await create(s.sb, [], "cancelled today")
    const cancelledOld = await create(s.sb, [], "cancelled long ago")
    const doneOld = await create(s.sb, [], "done long ago")
    const failedOld = await create(s.sb, [], "failed long ago")
    const doneRecent = await create(s.sb, [], "done six days ago")
    ok(await hub(s.sb, ["task", "cancel", cancelledNew]))
    ok(await hub(s.sb, ["task", "cancel", cancelledOld]))
    forceStatus(s.sb, doneOld, "done")
    forceStatus(s.sb, failedOld, "failed", { error: "boom" })
    forceStatus(s.sb, doneRecent, "done")
    age(s.sb, readyOld, 30)
    age(s.sb, cancelledOld, 8)
    age(s.sb, doneOld, 30)
    age(s.sb, failedOld, 10)
    age(s.sb, doneRecent, 6)

    const list = async (args: ReadonlyArray<string>) => {
      const tasks = okJson<Array<Record<string, unknown>>>(await hub(s.sb, ["task", "list", ...args, "--json"]))
      expect(Array.isArray(tasks)).toBe(true)
      for (const task of tasks) for (const field of TASK_FIELDS) expect(task, field).toHaveProperty(field)
      return tasks.map((t) => t.id)
    }

    const visible = [readyOld, backlog, cancelledNew, doneRecent]
    expect(await list([])).toEqual(visible)
    expect(await list(["--all"])).toEqual([readyOld, backlog, cancelledNew, cancelledOld, doneOld, failedOld, doneRecent])

    // The table shows the same set, one task per line.
    const text = ok(await hub(s.sb, ["task", "list"]))
    expect(text.trimEnd().split("\n")).toHaveLength(1 + visible.length)
    for (const id of visible) expect(text).toContain(id)
    for (const id of [cancelledOld, doneOld, failedOld]) expect(text).not.toContain(id)
    expect(text).toMatch(new RegExp(`${backlog}\\s+backlog\\s+normal\\s+implement\\s+-\\s+in the backlog`))
    const all = ok(await hub(s.sb, ["task", "list", "--all"]))
    for (const id of [cancelledOld, doneOld, failedOld]) expect(all).toContain(id)

    expect(await list(["--status", "cancelled"])).toEqual([cancelledNew])
    expect(await list(["--status", "cancelled", "--all"])).toEqual([cancelledNew, cancelledOld])
    expect(await list(["--status", "backlog", "--status", "done"])).toEqual([backlog, doneRecent])
    expect(await list(["--status", "backlog", "--status", "done", "--status", "failed", "--all"]))
      .toEqual([backlog, doneOld, failedOld, doneRecent])
  })
})

describe("hub task show / get", () => {
  const s = sandboxFor("cli-show")

  it("accepts 7, task-7, TASK-7 and TASK-0007; get is an alias of show", async () => {
    await create(s.sb, [], "placeholder")
    bulkInsert(s.sb, 5)
    const id = await create(s.sb, ["--description", "the details", "--link", "https://example.com/7"], "the seventh")
    expect(id).toBe("TASK-0007")
    const canonical = ok(await hub(s.sb, ["task", "show", "TASK-0007", "--json"]))
    expect(JSON.parse(canonical)).toMatchObject({ id: "TASK-0007", title: "the seventh", description: "the details" })
    for (const form of ["7", "task-7", "TASK-7"]) {
      expect(ok(await hub(s.sb, ["task", "show", form, "--json"])), form).toBe(canonical)
    }
    expect(ok(await hub(s.sb, ["task", "get", "task-7", "--json"]))).toBe(canonical)
    expect(ok(await hub(s.sb, ["task", "get", "7"]))).toBe(ok(await hub(s.sb, ["task", "show", "TASK-0007"])))
  })

  it("prints the task as text: id, title, status, kind, repo, description, links and comments", async () => {
    const id = await create(s.sb, [
      "--kind", "review",
      "--repo", "acme/widget",
      "--description", "look at the parser",
      "--link", "https://example.com/pull/9"
    ], "review the parser")
    ok(await hub(s.sb, ["task", "comment", id, "--content", "starting now"]))
    const text = ok(await hub(s.sb, ["task", "show", id]))
    expect(text.split("\n")[0]).toBe(`${id}  review the parser`)
    expect(text).toMatch(/status:\s+ready/)
    expect(text).toMatch(/kind:\s+review/)
    expect(text).toMatch(/repo:\s+acme\/widget/)
    expect(text).toContain("look at the parser")
    expect(text).toContain("https://example.com/pull/9")
    expect(text).toMatch(/human: starting now/)
  })
})

describe("hub task ready / cancel / retry", () => {
  const s = sandboxFor("cli-moves")

  it("ready moves a backlog task to ready, cancel a ready one to cancelled, each with its event", async () => {
    const id = await create(s.sb, ["--status", "backlog"], "later")
    expect(ok(await hub(s.sb, ["task", "ready", id]))).toBe(`${id} ready\n`)
    expect((await showJson(s.sb, id)).status).toBe("ready")
    expect(ok(await hub(s.sb, ["task", "cancel", id]))).toBe(`${id} cancelled\n`)
    const events = await eventsJson(s.sb, id)
    expect(events.map((e) => [e.from, e.to, e.actor])).toEqual([
      [null, "backlog", "human"],
      ["backlog", "ready", "human"],
      ["ready", "cancelled", "human"]
    ])
  })

  it("cancel takes a backlog task too; --json prints the task", async () => {
    const id = await create(s.sb, ["--status", "backlog"], "drop it")
    expect(okJson(await hub(s.sb, ["task", "cancel", id, "--json"]))).toMatchObject({ id, status: "cancelled" })
  })

  it("retry moves a failed task back to ready and clears its error", async () => {
    const id = await create(s.sb, [], "flaky")
    forceStatus(s.sb, id, "in-progress", { newAttempt: true })
    forceStatus(s.sb, id, "failed", { error: "worktree: git exploded" })
    expect(await showJson(s.sb, id)).toMatchObject({ status: "failed", error: "worktree: git exploded", attempt: 1 })
    expect(ok(await hub(s.sb, ["task", "retry", id]))).toBe(`${id} ready\n`)
    expect(await showJson(s.sb, id)).toMatchObject({ status: "ready", error: null, attempt: 1 })
    expect((await eventsJson(s.sb, id)).at(-1)).toMatchObject({ from: "failed", to: "ready", actor: "human", attempt: 1 })
  })
})

describe("hub task report", () => {
  const s = sandboxFor("cli-report")
  const agent = { HUB_SESSION_ID: "5b7a2c1e-0000-5000-8000-000000000001" }

  it("records actor agent when HUB_SESSION_ID is set, human when it is not", async () => {
    const id = await create(s.sb, [], "implement the thing")
    forceStatus(s.sb, id, "in-progress", { newAttempt: true })

    expect(ok(await hub(s.sb, ["task", "report", id, "--status", "in-review"], { ...agent, HUB_TASK_ID: id }))).toBe(`${id} in-review\n`)
    expect(ok(await hub(s.sb, ["task", "report", id, "--status", "blocked"]))).toBe(`${id} blocked\n`)
    ok(await hub(s.sb, ["task", "report", `task-${Number(id.slice(5))}`, "--status", "in-progress", "--reason", "answered"], agent))
    expect(okJson(await hub(s.sb, ["task", "report", id, "--status", "done", "--json"], agent))).toMatchObject({ id, status: "done" })

    const events = await eventsJson(s.sb, id)
    expect(events.map((e) => `${e.from ?? "-"}>${e.to}:${e.actor}`)).toEqual([
      "->ready:human",
      "ready>in-progress:dispatcher",
      "in-progress>in-review:agent",
      "in-review>blocked:human",
      "blocked>in-progress:agent",
      "in-progress>done:agent"
    ])
    for (const e of events.slice(1)) expect(e.attempt).toBe(1)
    expect(events[4].reason).toBe("answered")
    expect((await showJson(s.sb, id)).status).toBe("done")
  })

  it("reports failed from in-progress", async () => {
    const id = await create(s.sb, [], "doomed")
    forceStatus(s.sb, id, "in-progress", { newAttempt: true })
    expect(ok(await hub(s.sb, ["task", "report", id, "--status", "failed"], agent))).toBe(`${id} failed\n`)
    expect((await eventsJson(s.sb, id)).at(-1)).toMatchObject({ from: "in-progress", to: "failed", actor: "agent" })
  })
})

describe("hub task comment / link / events", () => {
  const s = sandboxFor("cli-notes")

  it("comment appends author, text and time; the author follows HUB_SESSION_ID unless --author says", async () => {
    const id = await create(s.sb, [], "talk about it")
    const text = "multi\nline 'quoted' \"text\" $(not run)"
    expect(ok(await hub(s.sb, ["task", "comment", id, "--content", text]))).toBe(`${id} comment added\n`)
    ok(await hub(s.sb, ["task", "comment", id, "--content", "from the agent"], { HUB_SESSION_ID: "s-1" }))
    ok(await hub(s.sb, ["task", "comment", id, "--content", "said by agent", "--author", "agent"]))
    ok(await hub(s.sb, ["task", "comment", id, "--content", "said by human", "--author", "human"], { HUB_SESSION_ID: "s-1" }))
    const comments = (await showJson(s.sb, id)).comments as Array<{ author: string; text: string; at: string }>
    expect(comments.map((c) => [c.author, c.text])).toEqual([
      ["human", text],
      ["agent", "from the agent"],
      ["agent", "said by agent"],
      ["human", "said by human"]
    ])
    for (const c of comments) expect(c.at).toMatch(ISO_TIME)
  })

  it("link appends a URL after the ones given at create", async () => {
    const id = await create(s.sb, ["--link", "https://example.com/issue/1"], "link me")
    const pr = "https://github.com/acme/widget/pull/42"
    expect(ok(await hub(s.sb, ["task", "link", id, "--url", pr]))).toBe(`${id} linked ${pr}\n`)
    const viaJson = okJson(await hub(s.sb, ["task", "link", id, "--url", "https://example.com/other", "--json"]))
    expect(viaJson.links).toEqual(["https://example.com/issue/1", pr, "https://example.com/other"])
    expect((await showJson(s.sb, id)).links).toEqual(["https://example.com/issue/1", pr, "https://example.com/other"])
  })

  it("events prints the history as a table and as a JSON array, oldest first", async () => {
    const id = await create(s.sb, ["--status", "backlog"], "history")
    ok(await hub(s.sb, ["task", "ready", id]))
    ok(await hub(s.sb, ["task", "cancel", id]))
    const events = await eventsJson(s.sb, id)
    expect(events.map((e) => [e.from, e.to])).toEqual([[null, "backlog"], ["backlog", "ready"], ["ready", "cancelled"]])
    for (const e of events) {
      expect(e).toMatchObject({ task_id: id, actor: "human", attempt: 0 })
      expect(typeof e.reason).toBe("string")
      expect(e.at).toMatch(ISO_TIME)
    }
    const ats = events.map((e) => e.at as string)
    expect([...ats].sort()).toEqual(ats)

    const lines = ok(await hub(s.sb, ["task", "events", id])).trimEnd().split("\n")
    expect(lines).toHaveLength(4)
    expect(lines[0]).toMatch(/^AT\s+ATTEMPT\s+FROM\s+TO\s+ACTOR\s+REASON$/)
    expect(lines[1]).toMatch(/\s-\s+backlog\s+human(\s|$)/)
    expect(lines[2]).toMatch(/\sbacklog\s+ready\s+human(\s|$)/)
    expect(lines[3]).toMatch(/\sready\s+cancelled\s+human(\s|$)/)
  })
})

describe("hostile task text", () => {
  const s = sandboxFor("cli-hostile")

  it("titles, descriptions and comments with shell syntax are stored verbatim and never executed", async () => {
    const cwd = path.join(s.sb.dir, "cwd")
    fs.mkdirSync(cwd)
    const marker = (n: number) => path.join(s.sb.dir, `pwned-${n}`)
    const titles = [
      `$(touch ${marker(1)})`,
      `'; touch ${marker(2)} #`,
      `\`touch ${marker(3)}\` and $(touch X)`,
      `"; touch ${marker(4)}; echo " '; touch X #`,
      "$HOME ${HUB_HOME} %s %n \\n `touch X`;"
    ]
    const ids: Array<string> = []
    for (const [i, title] of titles.entries()) {
      const description = `$(touch ${marker(100 + i)})\n\`touch X\``
      const task = okJson(await hubIn(s.sb, cwd, ["task", "create", "--title", title, "--description", description, "--json"]))
      expect(task.title).toBe(title)
      expect(task.description).toBe(description)
      ids.push(task.id)
    }
    ok(await hubIn(s.sb, cwd, ["task", "comment", ids[0]!, "--content", `'; touch ${marker(200)} # $(touch X)`]))

    // Everything that prints the text prints it as text.
    const list = okJson<Array<{ title: string }>>(await hubIn(s.sb, cwd, ["task", "list", "--json"]))
    expect(list.map((t) => t.title)).toEqual(titles)
    const table = ok(await hubIn(s.sb, cwd, ["task", "list"]))
    for (const title of titles) expect(table).toContain(title)
    const shown = ok(await hubIn(s.sb, cwd, ["task", "show", ids[0]!]))
    expect(shown).toContain(titles[0])
    expect(shown).toContain(`'; touch ${marker(200)} # $(touch X)`)

    expect(fs.readdirSync(s.sb.dir).filter((f) => f.startsWith("pwned"))).toEqual([])
    expect(fs.readdirSync(cwd)).toEqual([])
    expect(fs.existsSync(path.join(s.sb.dir, "X"))).toBe(false)
    expect(fs.existsSync(path.join(s.sb.home, "X"))).toBe(false)
  })
})
