/**
 * HUB_NOTIFY_COMMAND through real daemons: each change to blocked, in-review, failed or done is
 * told once (two daemons share the history), with the facts in the environment and never on a
 * command line; a notifier that hangs delays no dispatch; one that fails is logged once.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { readDb, type Running, spawnHub, trackedWorld, waitForStatus } from "../support/hubProcess.js"
import { type Sandbox, waitFor } from "../support/sandbox.js"

const { running, sandbox } = trackedWorld()

const startDaemon = (s: Sandbox, extra: NodeJS.ProcessEnv) => {
  const d = spawnHub(s, ["daemon", "--interval", "30s"], extra)
  running.push(d)
  return d
}

const stopDaemon = async (d: Running) => {
  d.child.kill("SIGTERM")
  expect(await waitFor(d.exited, 15_000)).toBe(true)
  return d.done
}

const linesOf = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : [])

/** Whether the notifiers have claimed every event written so far. */
const allClaimed = (s: Sandbox) =>
  readDb(s, (db) => {
    const [cursor] = db.prepare("SELECT last_event FROM notify_cursor").all()
    const [max] = db.prepare("SELECT MAX(id) AS id FROM events").all()
    return Number(cursor?.last_event) >= Number(max?.id)
  })

describe("HUB_NOTIFY_COMMAND", { timeout: 120_000 }, () => {
  it("tells each change once, with the facts in its environment, even with two daemons", async () => {
    const s = sandbox("notify-once")
    const notes = path.join(s.dir, "notes")
    const pwned = path.join(s.dir, "pwned")
    const env = {
      HUB_DISPATCH_CAP: "2",
      HUB_NOTIFY_COMMAND: `printf '%s|%s|%s|%s\\n' "$HUB_TASK_ID" "$HUB_STATUS" "$HUB_REASON" "$HUB_TITLE" >> '${notes}'`
    }
    const title = `$(touch ${pwned}) "quoted" ; next`
    await s.hub(["task", "create", "--title", title])
    startDaemon(s, env)
    startDaemon(s, env)
    await waitForStatus(s, "TASK-0001", "in-progress")
    expect((await s.hub(["task", "report", "1", "--status", "blocked", "--reason", "need `id` a key"])).code).toBe(0)
    expect((await s.hub(["task", "report", "1", "--status", "done"])).code).toBe(0)
    expect(await waitFor(() => linesOf(notes).length >= 2, 20_000)).toBe(true)
    // More changes that are not told (a new task, its start): both daemons tick on them.
    await s.hub(["task", "create", "--title", "second"])
    await waitForStatus(s, "TASK-0002", "in-progress")
    expect(await waitFor(() => allClaimed(s), 20_000)).toBe(true)
    expect(linesOf(notes)).toEqual([
      `TASK-0001|blocked|need \`id\` a key|${title}`,
      `TASK-0001|done|reported done|${title}`
    ])
    expect(fs.existsSync(pwned)).toBe(false)
  })

  it("never holds up a dispatch: a notifier that hangs leaves the next task to start", async () => {
    const s = sandbox("notify-slow")
    const gate = path.join(s.dir, "gate")
    const started = path.join(s.dir, "started")
    const env = {
      HUB_DISPATCH_CAP: "2",
      HUB_NOTIFY_COMMAND: `: > '${started}'; while [ ! -f '${gate}' ]; do sleep 0.05; done`
    }
    await s.hub(["task", "create", "--title", "first"])
    const d = startDaemon(s, env)
    await waitForStatus(s, "TASK-0001", "in-progress")
    await s.hub(["task", "report", "1", "--status", "in-review"])
    expect(await waitFor(() => fs.existsSync(started), 20_000)).toBe(true)
    await s.hub(["task", "create", "--title", "second"])
    await waitForStatus(s, "TASK-0002", "in-progress")
    // The notifier was still waiting at its gate all along.
    expect(fs.existsSync(gate)).toBe(false)
    fs.writeFileSync(gate, "")
    const end = await stopDaemon(d)
    expect(end.code).toBe(0)
  })

  it("logs a failing notifier once, not at every change", async () => {
    const s = sandbox("notify-fail")
    const tried = path.join(s.dir, "tried")
    const env = { HUB_NOTIFY_COMMAND: `echo "$HUB_STATUS" >> '${tried}'; echo 'no route to the chat' >&2; exit 3` }
    await s.hub(["task", "create", "--title", "first"])
    const d = startDaemon(s, env)
    await waitForStatus(s, "TASK-0001", "in-progress")
    await s.hub(["task", "report", "1", "--status", "blocked"])
    await s.hub(["task", "report", "1", "--status", "in-review"])
    await s.hub(["task", "report", "1", "--status", "done"])
    expect(await waitFor(() => linesOf(tried).length >= 3, 20_000)).toBe(true)
    const end = await stopDaemon(d)
    const logged = end.stderr.split("\n").filter((l) => l.includes("HUB_NOTIFY_COMMAND exited with status 3: no route to the chat"))
    expect(logged).toHaveLength(1)
    expect(linesOf(tried)).toEqual(["blocked", "in-review", "done"])
  })
})
