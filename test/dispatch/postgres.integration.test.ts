/**
 * hub on a PostgreSQL queue, as real processes against a real server of this file's own (it is
 * stopped and started under them): the database unreachable (every command one line, exit 1,
 * within 10 s; the daemon waits it out), restarted during a dispatch (the undo runs once it
 * answers), and wake-ups between processes of different HUB_HOMEs (only NOTIFY reaches them).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as net from "node:net"
import { type PostgresServer, startPostgres } from "../../scripts/postgres.mjs"
import { pausingShim, type Running, spawnHub, trackedWorld, waitForMarker } from "../support/hubProcess.js"
import { type Sandbox, waitFor } from "../support/sandbox.js"

const { sandbox, running, shims } = trackedWorld()

let server: PostgresServer
beforeAll(async () => {
  server = await startPostgres()
}, 60_000)
afterAll(() => server?.dispose())

/** A sandbox whose hub processes use a new database of the server. */
const onPostgres = (name: string, url = server.createDatabase()): Sandbox & { readonly url: string } => {
  const s = sandbox(name)
  s.env.HUB_DATABASE_URL = url
  return Object.assign(s, { url })
}

const startHub = (s: Sandbox, args: ReadonlyArray<string>, extra: NodeJS.ProcessEnv = {}): Running => {
  const r = spawnHub(s, args, extra)
  running.push(r)
  return r
}

interface TaskJson {
  readonly id: string
  readonly status: string
  readonly attempt: number
  readonly error: string | null
  readonly window_id: string | null
}

const showTask = async (s: Sandbox, id: string): Promise<TaskJson> => {
  const r = await s.hub(["task", "show", id, "--json"])
  if (r.code !== 0) throw new Error(`task show ${id}: ${r.stderr}`)
  return JSON.parse(r.stdout) as TaskJson
}

const createTask = async (s: Sandbox, title: string): Promise<string> => {
  const r = await s.hub(["task", "create", "--title", title])
  if (r.code !== 0) throw new Error(`task create: ${r.stderr}`)
  return r.stdout.trim()
}

/** Polls the task through the bin until `ok` holds (or the deadline passes); the last read. */
const waitForTask = async (s: Sandbox, id: string, ok: (t: TaskJson) => boolean, ms = 30_000): Promise<TaskJson> => {
  let last: TaskJson | undefined
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    try {
      last = await showTask(s, id)
      if (ok(last)) return last
    } catch {
      // The server is restarting: ask again.
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${id} never got there; last seen ${JSON.stringify(last)}`)
}

const liveWindows = (s: Sandbox) => {
  const r = s.tmux(["list-panes", "-a", "-F", "#{window_name} #{pane_dead}"])
  return r.status === 0 ? r.stdout.split("\n").filter((l) => /^TASK-\d+ 0$/.test(l)) : []
}

/** The sleep a pausing shim waits in: killing it lets the shim go on at once. */
const releaseShim = (pid: number) => {
  const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean)
  for (const child of children) process.kill(Number(child), "SIGKILL")
}

describe("hub on PostgreSQL", { timeout: 120_000 }, () => {
  it("the server down: every command says so in one line, exits 1, within 10 s; the password is never shown", async () => {
    const s = onPostgres("pg-down")
    const url = s.url.replace("postgres@", "postgres:s3cret@")
    expect((await s.hub(["task", "create", "--title", "before"], { HUB_DATABASE_URL: url })).code).toBe(0)
    server.stop()
    try {
      const commands = [
        ["task", "list"],
        ["task", "create", "--title", "x"],
        ["task", "show", "TASK-0001"],
        ["task", "cancel", "TASK-0001"],
        ["status"],
        ["dispatch"],
        ["reconcile"],
        ["verify"]
      ]
      for (const args of commands) {
        const started = Date.now()
        const r = await s.hub(args, { HUB_DATABASE_URL: url })
        expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 1, stdout: "" })
        expect(r.stderr).toMatch(/^hub: cannot open the database at 127\.0\.0\.1:\d+\/\w+: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/)
        expect(r.stderr).not.toContain("s3cret")
        expect(Date.now() - started).toBeLessThan(10_000)
      }
    } finally {
      server.start()
    }
  })

  it("a server that accepts and never answers: the connect timeout ends the command, one line, exit 1, within 10 s", async () => {
    const silent = net.createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))
    try {
      const port = (silent.address() as net.AddressInfo).port
      const s = onPostgres("pg-silent", `postgres://postgres@127.0.0.1:${port}/hub`)
      for (const args of [["task", "list"], ["status"]]) {
        const started = Date.now()
        const r = await s.hub(args)
        expect(r.code).toBe(1)
        // Whichever of the driver's and hub's own timer (the same 5 s) ends it.
        expect(r.stderr).toMatch(new RegExp(`^hub: cannot open the database at 127\\.0\\.0\\.1:${port}/hub: Connection (timed out|terminated due to connection timeout)\n$`))
        expect(Date.now() - started).toBeLessThan(10_000)
      }
    } finally {
      silent.close()
    }
  })

  it("a URL that is not postgres:// is refused in one line, exit 1, naming its scheme only", async () => {
    const s = sandbox("pg-bad-url")
    for (const url of ["mysql://root:s3cret@db/hub", "sqlite:///tmp/x.db"]) {
      for (const args of [["task", "list"], ["daemon"]]) {
        const r = await s.hub(args, { HUB_DATABASE_URL: url })
        expect(r.code).toBe(1)
        expect(r.stderr.split("\n")).toHaveLength(2)
        expect(r.stderr).toMatch(/^hub: invalid configuration: .*HUB_DATABASE_URL must be a postgres:\/\/ URL \(got (mysql|sqlite):\)/)
        expect(r.stderr).not.toContain("s3cret")
      }
    }
  })

  it("the daemon: down at start, it logs and tries again; it dispatches once the server answers; a restart under it is logged, not fatal", async () => {
    const s = onPostgres("pg-daemon")
    // Migrated before the server goes away, so that the daemon's first success is a plain open.
    expect((await s.hub(["task", "list"])).code).toBe(0)
    server.stop()
    const d = startHub(s, ["daemon", "--interval", "1s"], { HUB_DISPATCH_CAP: "2" })
    try {
      expect(await waitFor(() => /cannot open the database .*ECONNREFUSED.*; trying again in 5s/.test(stderrOf(d)), 30_000)).toBe(true)
      expect(d.exited()).toBe(false)
    } finally {
      server.start()
    }
    expect(await waitFor(() => stderrOf(d).includes("daemon started"), 30_000)).toBe(true)
    const a = await createTask(s, "after the outage")
    expect(await waitForTask(s, a, (t) => t.status === "in-progress" && t.window_id !== null)).toMatchObject({ attempt: 1 })

    const before = stderrOf(d).length
    server.stop()
    try {
      // A tick finds the database gone: logged, and the daemon goes on.
      expect(await waitFor(() => / error .*(ECONNREFUSED|terminat)/.test(stderrOf(d).slice(before)), 30_000)).toBe(true)
      expect(d.exited()).toBe(false)
    } finally {
      server.start()
    }
    const b = await createTask(s, "after the restart")
    expect(await waitForTask(s, b, (t) => t.status === "in-progress" && t.window_id !== null)).toMatchObject({ attempt: 1 })
    // The first agent never lost its task.
    expect(await showTask(s, a)).toMatchObject({ status: "in-progress", attempt: 1 })
    d.child.kill("SIGTERM")
    expect(await waitFor(d.exited, 15_000)).toBe(true)
    expect((await d.done).code).toBe(0)
  })

  it("the server gone between the window and the commit: the dispatch fails at commit, its undo runs once the server answers", async () => {
    const s = onPostgres("pg-commit")
    const id = await createTask(s, "commit lost")
    const shim = pausingShim(s, { name: "tmux", words: "new-window", when: "after", seconds: 120 })
    const dispatch = startHub(s, ["dispatch"], { PATH: shim.PATH })
    const shimPid = await waitForMarker(shim.marker)
    shims.push(shimPid)
    server.stop()
    try {
      releaseShim(shimPid)
      // The commit fails; the window is closed at once; the claim's undo waits for the database.
      expect(await waitFor(() => liveWindows(s).length === 0 && shimGone(shimPid), 30_000)).toBe(true)
      expect(dispatch.exited()).toBe(false)
    } finally {
      server.start()
    }
    const end = await dispatch.done
    expect(end.code).toBe(1)
    expect(end.stderr).toMatch(/failed at commit/)
    const t = await showTask(s, id)
    expect({ ...t, log: end.stderr }).toMatchObject({ status: "failed", attempt: 1, window_id: null })
    expect(t.error).toMatch(/^commit: /)
    expect(liveWindows(s)).toEqual([])
  })

  it("wake-ups cross HUB_HOMEs: a task created in one wakes an idle daemon of another at once (its tick is a minute away), also after a restart", async () => {
    const url = server.createDatabase()
    const daemonSide = onPostgres("pg-wake-daemon", url)
    const other = onPostgres("pg-wake-cli", url)
    const d = startHub(daemonSide, ["daemon", "--interval", "60s"])
    expect(await waitFor(() => stderrOf(d).includes("daemon started"), 30_000)).toBe(true)
    // The first tick (at start) has found nothing: the next is a minute away.
    const first = await createTask(other, "wake me")
    expect(await waitForTask(other, first, (t) => t.status === "in-progress", 15_000)).toMatchObject({ attempt: 1 })

    // The listener reconnects after the server restarts, and hears again.
    server.stop()
    server.start()
    expect((await other.hub(["task", "cancel", first])).code).toBe(0)
    const second = await createTask(other, "wake me again")
    const woken = await waitForTask(other, second, (t) => t.status === "in-progress", 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\ndaemon log:\n${stderrOf(d)}`)
    })
    expect(woken).toMatchObject({ attempt: 1 })
    expect(d.exited()).toBe(false)
  })
})

const stderrOf = (r: Running): string => r.stderrSoFar()

const shimGone = (pid: number) => !fs.existsSync(`/proc/${pid}`)
