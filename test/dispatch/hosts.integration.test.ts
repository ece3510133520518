/**
 * Two hosts on one queue, end to end: two HUB_HOST values and two private tmux servers on one
 * SQLite file, and on one PostgreSQL database, each driven through the built bin. A host judges only its own attempts; a host
 * whose lease lapses loses its in-progress tasks to the next reconcile on any host, and its
 * late reports and hooks change nothing.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { sessionIdFor } from "../../src/agent/session.js"
import {
  createTasks,
  hub,
  hubOk,
  liveWindows,
  readDb,
  spawnHub,
  task,
  taskEvents,
  trackedWorld
} from "../support/hubProcess.js"
import { type Sandbox, waitFor } from "../support/sandbox.js"
import { freshDatabase } from "../support/postgres.js"
import { type Backend, BACKENDS } from "../store/helpers.js"

const { sandbox, running } = trackedWorld()

interface Hosts {
  readonly s: Sandbox
  /** The environment of host alpha: the sandbox's own tmux server. */
  readonly alpha: NodeJS.ProcessEnv
  /** The environment of host beta: the same HUB_HOME (so the same hub.db), another tmux server. */
  readonly beta: NodeJS.ProcessEnv
  /** beta's tmux server, looked at like the sandbox's. */
  readonly betaTmux: Sandbox
}

const twoHosts = async (backend: Backend, name: string): Promise<Hosts> => {
  const s = sandbox(name)
  // On PostgreSQL the two hosts share a database; on SQLite one HUB_HOME's hub.db.
  if (backend === "postgres") s.env.HUB_DATABASE_URL = await freshDatabase("hosts")
  // A second sandbox only for its tmux server (disposed with it): beta's windows live there.
  const betaTmux = sandbox(`${name}-beta`)
  return {
    s,
    alpha: { HUB_HOST: "alpha" },
    beta: { HUB_HOST: "beta", HUB_TMUX_SOCKET: betaTmux.socket },
    betaTmux
  }
}

interface HostRow {
  readonly name: string
  readonly renewed_at: string
}

const leases = (s: Sandbox): Array<HostRow> =>
  readDb(s, (db) => db.prepare("SELECT name, renewed_at FROM hosts ORDER BY name").all()) as unknown as Array<HostRow>

const leaseOf = (s: Sandbox, host: string) => leases(s).find((l) => l.name === host)

/** Waits until `host`'s lease is older than `ms` (the lease is the condition, not a guessed sleep). */
const leaseOlderThan = (s: Sandbox, host: string, ms: number) =>
  waitFor(() => {
    const lease = leaseOf(s, host)
    return lease !== undefined && Date.now() - Date.parse(lease.renewed_at) > ms
  }, 30_000, 50)

/** `hub task report` as the agent of `attempt` runs it inside its window on `host`. */
const reportAs = (s: Sandbox, env: NodeJS.ProcessEnv, id: string, attempt: number, status: string) =>
  hub(s, ["task", "report", id, "--status", status, "--reason", "late"], {
    ...env,
    HUB_TASK_ID: id,
    HUB_SESSION_ID: sessionIdFor(id, attempt)
  })

const STOP = JSON.stringify({ session_id: "c", transcript_path: "/t", cwd: "/w", hook_event_name: "Stop" })

/** `hub agent hook` as a hook of `attempt`'s agent runs it. */
const hookAs = (s: Sandbox, env: NodeJS.ProcessEnv, id: string, attempt: number) =>
  hub(s, ["agent", "hook", STOP], {
    ...env,
    HUB_TASK_ID: id,
    HUB_SESSION_ID: sessionIdFor(id, attempt),
    HUB_RUN_DIR: path.join(s.hubHome, "runs", id, String(attempt))
  })

const json = <A>(text: string): A => JSON.parse(text) as A

interface StatusJson {
  readonly id: string
  readonly status: string
  readonly host: string | null
  readonly liveness: string | null
  readonly detail: string | null
}

describe.each(BACKENDS)("two hosts on one queue (%s)", { timeout: 180_000 }, (backend) => {
  it("each host claims up to its own cap, records itself as the task's host and judges only its own attempts", async () => {
    const { s, alpha, beta, betaTmux } = await twoHosts(backend, "hosts-own")
    const [one, two] = await createTasks(s, ["on alpha", "on beta", "left"])
    expect(await hubOk(s, ["dispatch"], alpha)).toContain(`${one} started in window`)
    // alpha is at its cap of 1; beta's cap is its own.
    expect(await hubOk(s, ["dispatch"], alpha)).toContain("nothing to dispatch")
    expect(await hubOk(s, ["dispatch"], beta)).toContain(`${two} started in window`)
    const shown = json<{ host: string | null }>(await hubOk(s, ["task", "show", one!, "--json"]))
    expect(shown.host).toBe("alpha")
    expect(json<{ host: string | null }>(await hubOk(s, ["task", "show", two!, "--json"])).host).toBe("beta")
    const listed = json<Array<{ id: string; host: string | null }>>(await hubOk(s, ["task", "list", "--json"]))
    expect(listed.map((t) => [t.id, t.host])).toEqual([[one, "alpha"], [two, "beta"], ["TASK-0003", null]])
    // Each window is on its own host's tmux server.
    expect(liveWindows(s).map((w) => w.windowName)).toEqual([one])
    expect(liveWindows(betaTmux).map((w) => w.windowName)).toEqual([two])
    // Both dispatches renewed their host's lease.
    expect(leases(s).map((l) => l.name)).toEqual(["alpha", "beta"])

    // beta's reconcile, verify and reap leave alpha's live task alone (its tmux is not beta's),
    // and so does alpha's for beta's.
    for (const env of [beta, alpha]) {
      const report = json<{ changed: Array<unknown>; checked: number }>(await hubOk(s, ["reconcile", "--json"], env))
      expect(report).toMatchObject({ changed: [], checked: 1 })
      expect(await hub(s, ["verify"], env)).toMatchObject({ code: 0 })
      expect(json<Array<unknown>>(await hubOk(s, ["reap", "--json"], env))).toEqual([])
    }
    for (const id of [one!, two!]) {
      expect(task(s, id)).toMatchObject({ status: "in-progress", attempt: 1 })
      expect((await taskEvents(s, id)).map((e) => e.actor)).toEqual(["human", "dispatcher", "dispatcher"])
    }
    expect(liveWindows(s).map((w) => w.windowName)).toEqual([one])
    expect(liveWindows(betaTmux).map((w) => w.windowName)).toEqual([two])

    // Status on beta: its own task with what its tmux says, alpha's with its host.
    const rows = json<Array<StatusJson>>(await hubOk(s, ["status", "--json"], beta))
    expect(rows.find((r) => r.id === two)).toMatchObject({ host: "beta", liveness: "alive" })
    const remote = rows.find((r) => r.id === one)!
    expect(remote).toMatchObject({ host: "alpha", liveness: "elsewhere" })
    expect(remote.detail).toMatch(/^on host alpha \(lease renewed \d+s ago\)$/)
    const table = await hubOk(s, ["status"], beta)
    expect(table.split("\n")[0]).toMatch(/^ID +STATUS +HOST +WINDOW/)
    expect(table).toMatch(new RegExp(`${one} +in-progress +alpha +\\S+ +\\S+ +elsewhere \\(on host alpha`))
    expect(table).toMatch(new RegExp(`${two} +in-progress +beta +@\\d+`))

    // beta cancels alpha's task: the task is cancelled, and beta's tmux is left alone (alpha's
    // window id names some other window there, maybe beta's own); alpha's reap stops the agent.
    const alphaWindow = task(s, one!).window_id
    const betaWindows = liveWindows(betaTmux).map((w) => [w.windowName, w.windowId])
    expect(await hubOk(s, ["task", "cancel", one!], beta)).toContain(`${one} cancelled`)
    expect(liveWindows(betaTmux).map((w) => [w.windowName, w.windowId])).toEqual(betaWindows)
    expect(liveWindows(s).map((w) => w.windowId)).toEqual([alphaWindow])
    expect(json<Array<{ taskId: string; why: string }>>(await hubOk(s, ["reap", "--json"], alpha))).toMatchObject([
      { taskId: one, why: "task is cancelled" }
    ])
    expect(liveWindows(s)).toEqual([])
    expect(liveWindows(betaTmux).map((w) => [w.windowName, w.windowId])).toEqual(betaWindows)
  })

  it("alpha's lease lapses: beta's reconcile returns alpha's task to ready naming alpha; alpha's late report and hook change nothing", async () => {
    const { s, alpha, beta, betaTmux } = await twoHosts(backend, "hosts-lost")
    const [one] = await createTasks(s, ["on alpha"])
    expect(await hubOk(s, ["dispatch"], alpha)).toContain(`${one} started in window`)
    const alphaWindow = task(s, one!).window_id

    // Within the lease, beta leaves it alone.
    const LEASE = { HUB_HOST_LEASE: "2s" }
    expect(json<{ changed: Array<unknown> }>(await hubOk(s, ["reconcile", "--json"], { ...beta, ...LEASE })).changed).toEqual([])
    expect(task(s, one!).status).toBe("in-progress")

    // alpha runs no daemon: once its lease (renewed by its dispatch) is older than 2s, it is lost.
    expect(await leaseOlderThan(s, "alpha", 2_000)).toBe(true)
    const lostStatus = json<Array<StatusJson>>(await hubOk(s, ["status", "--json"], { ...beta, ...LEASE }))
    expect(lostStatus.find((r) => r.id === one)!.detail).toMatch(/^on host alpha, which lost its lease \(lease renewed \d+s ago\): the next reconcile returns it to ready$/)
    const report = json<{ changed: Array<{ taskId: string; from: string; to: string; reason: string; applied: boolean }> }>(
      await hubOk(s, ["reconcile", "--json"], { ...beta, ...LEASE })
    )
    expect(report.changed).toHaveLength(1)
    expect(report.changed[0]).toMatchObject({ taskId: one, from: "in-progress", to: "ready", applied: true })
    const reason = report.changed[0]!.reason
    expect(reason).toMatch(/^host alpha lost its lease \(last renewed .*; HUB_HOST_LEASE 2s\)$/)
    expect(task(s, one!)).toMatchObject({ status: "ready", attempt: 1 })
    const history = await taskEvents(s, one!)
    expect(history.at(-1)).toMatchObject({ attempt: 1, from: "in-progress", to: "ready", actor: "reconciler", reason })
    // Nothing of alpha's was touched from beta: alpha's window still runs on alpha's server.
    expect(liveWindows(s).map((w) => w.windowId)).toEqual([alphaWindow])

    // alpha's agent reports late: the task is ready, which no report leaves.
    const frozen = async () => ({ task: task(s, one!), events: (await taskEvents(s, one!)).length })
    const before = await frozen()
    const lateReady = await reportAs(s, alpha, one!, 1, "done")
    expect(lateReady.code).toBe(1)
    expect(lateReady.stderr.trim().split("\n")).toHaveLength(1)
    expect(await frozen()).toEqual(before)

    // beta takes it as attempt 2; alpha's attempt 1 reports and hooks again: nothing changes.
    expect(await hubOk(s, ["dispatch"], beta)).toContain(`${one} started in window`)
    expect(task(s, one!)).toMatchObject({ status: "in-progress", attempt: 2, host: "beta" })
    const running2 = await frozen()
    const lateDone = await reportAs(s, alpha, one!, 1, "done")
    expect(lateDone.code).toBe(1)
    expect(lateDone.stderr).toContain("attempt 1 is no longer current")
    const hooked = await hookAs(s, alpha, one!, 1)
    expect(hooked).toMatchObject({ code: 0, stdout: "" })
    const signals2 = path.join(s.hubHome, "runs", one!, "2", "agent-signals")
    const seen2 = fs.existsSync(signals2) ? fs.readFileSync(signals2, "utf8") : ""
    expect(json<{ changed: Array<unknown> }>(await hubOk(s, ["reconcile", "--json"], beta)).changed).toEqual([])
    expect(await frozen()).toEqual(running2)
    expect(fs.existsSync(signals2) ? fs.readFileSync(signals2, "utf8") : "").toBe(seen2)

    // alpha comes back: its reconcile leaves beta's attempt alone, its verify flags its own stale
    // window, and its reap kills that window (the task's attempt runs on beta now).
    expect(json<{ changed: Array<unknown>; checked: number }>(await hubOk(s, ["reconcile", "--json"], alpha))).toMatchObject({
      changed: [],
      checked: 0
    })
    const verified = await hub(s, ["verify", "--json"], alpha)
    expect(verified.code).toBe(1)
    expect(json<{ violations: Array<{ message: string }> }>(verified.stdout).violations.map((v) => v.message)).toEqual([
      `live window ${alphaWindow} (${one}) belongs to a task whose current attempt runs on host beta`
    ])
    const reaped = json<Array<{ taskId: string; why: string }>>(await hubOk(s, ["reap", "--json"], alpha))
    expect(reaped).toEqual([{ windowId: alphaWindow, taskId: one, why: "its current attempt runs on host beta" }])
    expect(liveWindows(s)).toEqual([])
    expect(liveWindows(betaTmux).map((w) => w.windowName)).toEqual([one])
    expect(await frozen()).toEqual(running2)
  })

  it("a running daemon keeps its host's lease; once it stops, the host loses its tasks to the other host's reconcile", async () => {
    const { s, alpha, beta } = await twoHosts(backend, "hosts-daemon")
    const [one] = await createTasks(s, ["on alpha"])
    const LEASE = { HUB_HOST_LEASE: "2s" }
    // alpha's daemon renews every 500 ms (four times per lease of 2s).
    const daemon = spawnHub(s, ["daemon", "--interval", "1s"], { ...alpha, ...LEASE })
    running.push(daemon)
    expect(await waitFor(() => task(s, one!).status === "in-progress" && task(s, one!).window_id !== null, 30_000)).toBe(true)
    const first = leaseOf(s, "alpha")!.renewed_at
    expect(await waitFor(() => leaseOf(s, "alpha")!.renewed_at !== first, 10_000)).toBe(true)
    // Longer than a lease since the claim, with the daemon up: beta's reconcile leaves it alone.
    const claimedAt = Date.parse(readDb(s, (db) => db.prepare("SELECT claimed_at FROM tasks WHERE id = ?").all(one))[0]!.claimed_at as string)
    expect(await waitFor(() => Date.now() - claimedAt > 3_000, 10_000)).toBe(true)
    expect(json<{ changed: Array<unknown> }>(await hubOk(s, ["reconcile", "--json"], { ...beta, ...LEASE })).changed).toEqual([])
    expect(task(s, one!).status).toBe("in-progress")

    daemon.child.kill("SIGTERM")
    expect((await daemon.done).code).toBe(0)
    expect(await leaseOlderThan(s, "alpha", 2_000)).toBe(true)
    const report = json<{ changed: Array<{ taskId: string; to: string; applied: boolean }> }>(
      await hubOk(s, ["reconcile", "--json"], { ...beta, ...LEASE })
    )
    expect(report.changed).toMatchObject([{ taskId: one, to: "ready", applied: true }])
    expect((await taskEvents(s, one!)).at(-1)).toMatchObject({ actor: "reconciler", reason: expect.stringContaining("host alpha lost its lease") })
  })
})
