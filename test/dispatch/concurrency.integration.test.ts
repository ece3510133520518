/**
 * Several dispatchers at once on one store and one tmux server: the claim and the cap are one
 * serialized write, so no task is claimed twice and the cap holds, whoever runs.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  addRepo,
  createTasks,
  dbEvents,
  dbTasks,
  type EventJson,
  hub,
  liveWindows,
  spawnHub,
  task,
  taskEvents,
  waitForStatus,
  trackedWorld
} from "../support/hubProcess.js"
import { waitFor } from "../support/sandbox.js"

const { sandbox, running } = trackedWorld()

const titles = (n: number) => Array.from({ length: n }, (_, i) => `task ${i + 1}`)

/** Claims per task, from the whole history. */
const claimsPerTask = (events: ReadonlyArray<EventJson>) => {
  const claims = new Map<string, number>()
  for (const e of events) {
    if (e.from === "ready" && e.to === "in-progress") claims.set(e.task_id, (claims.get(e.task_id) ?? 0) + 1)
  }
  return claims
}

describe("concurrent dispatchers", { timeout: 120_000 }, () => {
  it("4 `hub dispatch` at once, HUB_DISPATCH_CAP=2, 10 ready tasks: exactly 2 in-progress, 2 live windows, no task claimed twice", async () => {
    const s = sandbox("conc-dispatch")
    await addRepo(s)
    const ids = await createTasks(s, titles(10), "acme/app")

    const results = await Promise.all(Array.from({ length: 4 }, () => hub(s, ["dispatch"], { HUB_DISPATCH_CAP: "2" })))
    for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" })
    const startedLines = results.flatMap((r) => r.stdout.split("\n").filter((l) => l.includes(" started in window ")))
    expect(startedLines).toHaveLength(2)

    const tasks = dbTasks(s)
    const inProgress = tasks.filter((t) => t.status === "in-progress")
    expect(inProgress).toHaveLength(2)
    expect(tasks.filter((t) => t.status === "ready").map((t) => t.id).sort()).toEqual(
      ids.filter((id) => !inProgress.some((t) => t.id === id)).sort()
    )
    for (const t of tasks.filter((t) => t.status === "ready")) expect(t.attempt).toBe(0)
    for (const t of inProgress) {
      expect(t).toMatchObject({ attempt: 1, lease_pid: null })
      expect(startedLines.filter((l) => l.startsWith(`${t.id} started in window ${t.window_id} `))).toHaveLength(1)
    }

    const live = liveWindows(s)
    expect(live).toHaveLength(2)
    expect(live.map((w) => [w.windowName, w.windowId]).sort()).toEqual(inProgress.map((t) => [t.id, t.window_id]).sort())

    // Each task at most one claim; the two started ones exactly one, as their history says.
    const claims = claimsPerTask(dbEvents(s))
    expect([...claims.values()].every((n) => n === 1)).toBe(true)
    expect([...claims.keys()].sort()).toEqual(inProgress.map((t) => t.id).sort())
    for (const t of inProgress) {
      const events = (await taskEvents(s, t.id))
      expect(events.filter((e) => e.to === "in-progress" && e.reason === "claimed")).toHaveLength(1)
      expect(events.filter((e) => e.actor === "reconciler")).toEqual([])
    }
    expect((await hub(s, ["verify"])).code).toBe(0)
  })

  it("two daemons and a `hub dispatch` at once keep the cap and claim no task twice", async () => {
    const s = sandbox("conc-daemons")
    const ids = await createTasks(s, titles(6))
    const env = { HUB_DISPATCH_CAP: "3" }
    const daemons = [0, 1].map(() => spawnHub(s, ["daemon", "--interval", "1s"], env))
    running.push(...daemons)
    const cli = await hub(s, ["dispatch"], env)
    expect(cli.code).toBe(0)

    const threeRunning = () => {
      const tasks = dbTasks(s)
      return tasks.filter((t) => t.status === "in-progress" && t.window_id !== null).length === 3
    }
    expect(await waitFor(threeRunning, 20_000, 100)).toBe(true)
    // A window killed by hand frees a slot: some daemon reconciles it, some daemon fills it.
    const victim = dbTasks(s).find((t) => t.status === "in-progress")!
    expect(s.tmux(["kill-window", "-t", victim.window_id!]).status).toBe(0)
    expect((await waitForStatus(s, victim.id, "failed")).error).toBe("agent window disappeared")
    expect(await waitFor(threeRunning, 20_000, 100)).toBe(true)

    for (const d of daemons) d.child.kill("SIGTERM")
    expect(await waitFor(() => daemons.every((d) => d.exited()), 15_000)).toBe(true)
    for (const d of daemons) expect((await d.done).code).toBe(0)

    const tasks = dbTasks(s)
    expect(tasks.filter((t) => t.status === "in-progress")).toHaveLength(3)
    expect(tasks.filter((t) => t.status === "ready")).toHaveLength(2)
    expect(liveWindows(s).map((w) => w.windowName).sort()).toEqual(
      tasks.filter((t) => t.status === "in-progress").map((t) => t.id).sort()
    )
    const claims = claimsPerTask(dbEvents(s))
    expect([...claims.values()].every((n) => n === 1)).toBe(true)
    expect(claims.size).toBe(4)
    expect((await taskEvents(s, victim.id)).filter((e) => e.actor === "reconciler")).toHaveLength(1)
    expect(task(s, victim.id).attempt).toBe(1)
    expect(ids).toHaveLength(6)
  })
})
