/**
 * `hub db copy --to URL` through the built bin: every task of a SQLite store with its history
 * into an empty PostgreSQL database (a new one on the test run's server), read back through
 * hub on PostgreSQL exactly as it was; a target that is not empty is refused and untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { makeSandbox, type Sandbox } from "../support/sandbox.js"
import { freshDatabase } from "../support/postgres.js"
import { ensureBuilt } from "./helpers.js"

beforeAll(ensureBuilt, 180_000)

let s: Sandbox
beforeAll(() => {
  s = makeSandbox("db-copy")
})
afterAll(() => s?.dispose())

const ok = async (args: ReadonlyArray<string>, extra: NodeJS.ProcessEnv = {}) => {
  const r = await s.hub(args, extra)
  if (r.code !== 0) throw new Error(`hub ${args.join(" ")} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

/** Every task with its events, as hub shows them. */
const everything = async (extra: NodeJS.ProcessEnv = {}) => {
  const tasks = JSON.parse(await ok(["task", "list", "--all", "--json"], extra)) as Array<{ readonly id: string }>
  return Promise.all(tasks.map(async (t) => ({
    task: JSON.parse(await ok(["task", "show", t.id, "--json"], extra)) as unknown,
    events: JSON.parse(await ok(["task", "events", t.id, "--json"], extra)) as unknown
  })))
}

describe("hub db copy", { timeout: 120_000 }, () => {
  it("copies every task with its history; hub on the copy shows the same; new ids and events continue after the copied ones", async () => {
    await ok(["task", "create", "--title", "first", "--link", "https://example.com/a"])
    await ok(["task", "create", "--title", "second 'quoted' ünïcødé", "--kind", "review", "--status", "backlog", "--description", "two\nlines"])
    await ok(["task", "create", "--title", "third", "--after", "TASK-0001", "--priority", "high"])
    await ok(["task", "comment", "TASK-0001", "--content", "a comment"])
    await ok(["task", "cancel", "TASK-0003"])
    await ok(["task", "ready", "TASK-0002"])
    const before = await everything()

    const url = await freshDatabase("copy")
    const out = await ok(["db", "copy", "--to", url])
    expect(out).toMatch(/^copied 3 task\(s\) and \d+ event\(s\) from .*hub\.db to 127\.0\.0\.1:\d+\/copy_\w+\n$/)
    const onPg = { HUB_DATABASE_URL: url }
    expect(await everything(onPg)).toEqual(before)
    // The dependency came along: the claim on the copy waits for TASK-0001 as on SQLite.
    expect((JSON.parse(await ok(["task", "show", "TASK-0003", "--json"], onPg)) as { readonly after: unknown }).after).toEqual(["TASK-0001"])

    // The copy is a store like any other: the next id and event follow the copied ones.
    expect((await ok(["task", "create", "--title", "fourth"], onPg)).trim()).toBe("TASK-0004")
    const events = JSON.parse(await ok(["task", "events", "TASK-0004", "--json"], onPg)) as Array<{ readonly id: number }>
    const copiedIds = before.flatMap((b) => (b.events as Array<{ readonly id: number }>).map((e) => e.id))
    expect(events[0]!.id).toBeGreaterThan(Math.max(...copiedIds))

    // A second copy into it is refused, and changes nothing there.
    const again = await s.hub(["db", "copy", "--to", url])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^hub: 127\.0\.0\.1:\d+\/copy_\w+ is not empty \(4 task\(s\), \d+ event\(s\)\); hub db copy copies only into an empty database\n$/)
    expect((await everything(onPg)).length).toBe(4)
  })

  it("refuses a URL that is not postgres://, in one line", async () => {
    const r = await s.hub(["db", "copy", "--to", "mysql://h/db"])
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: "hub: --to must be a postgres:// URL\n" })
  })
})
