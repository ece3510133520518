/**
 * `hub daemon` as a real process: restarted while its agents run, it adopts them as they are;
 * stopped by SIGTERM in the middle of a dispatch, it rolls the dispatch back and exits 0.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { parseFast } from "../../src/cli/fastArgs.js"
import {
  addRepo,
  branchExists,
  createTask,
  createTasks,
  hub,
  hubOk,
  pausingShim,
  type Running,
  spawnHub,
  task,
  taskEvents,
  taskWindows,
  waitForMarker,
  waitForStatus,
  windowOf,
  trackedWorld
} from "../support/hubProcess.js"
import { ROOT, type Sandbox, waitFor } from "../support/sandbox.js"

const { sandbox, running, shims } = trackedWorld()

const startDaemon = (s: Sandbox, extra: NodeJS.ProcessEnv = {}, interval = "1s") => {
  const d = spawnHub(s, ["daemon", "--interval", interval], extra)
  running.push(d)
  return d
}

/** SIGTERM, then the daemon must be gone within seconds, with exit code 0. */
const terminate = async (d: Running) => {
  d.child.kill("SIGTERM")
  expect(await waitFor(d.exited, 15_000)).toBe(true)
  const end = await d.done
  expect({ code: end.code, signal: end.signal, errors: end.stderr.split("\n").filter((l) => / error /.test(l)) })
    .toEqual({ code: 0, signal: null, errors: [] })
}

const isRunning = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]!)
  } catch {
    return false
  }
}

describe("hub daemon", { timeout: 120_000 }, () => {
  it("restarted (SIGTERM, start again) while agents run: they stay in-progress and alive, in the same windows", async () => {
    const s = sandbox("daemon-restart")
    const env = { HUB_DISPATCH_CAP: "3" }
    const [a, b] = await createTasks(s, ["agent a", "agent b"])

    const first = startDaemon(s, env)
    const started = await Promise.all([waitForStatus(s, a!, "in-progress"), waitForStatus(s, b!, "in-progress")])
    expect(await waitFor(() => [a!, b!].every((id) => task(s, id).window_id !== null), 15_000)).toBe(true)
    const windows = [a!, b!].map((id) => task(s, id).window_id!)
    expect(started.every((t) => t.attempt === 1)).toBe(true)
    await terminate(first)

    // The agents outlive the daemon.
    for (const w of windows) expect(windowOf(s, w)?.dead).toBe(false)
    const eventsBefore = await Promise.all([a!, b!].map((id) => taskEvents(s, id)))

    // A new task is the proof that the second daemon has ticked (reconcile runs first).
    const c = await createTask(s, "agent c")
    const second = startDaemon(s, env)
    await waitForStatus(s, c, "in-progress")
    expect(await waitFor(() => task(s, c).window_id !== null, 15_000)).toBe(true)

    // Later ticks reconcile for real: a window killed by hand is noticed, and only that one.
    expect(s.tmux(["kill-window", "-t", task(s, c).window_id!]).status).toBe(0)
    const failed = await waitForStatus(s, c, "failed")
    expect(failed.error).toBe("agent window disappeared")
    expect((await taskEvents(s, c)).at(-1)).toMatchObject({ from: "in-progress", to: "failed", actor: "reconciler" })

    for (const [i, id] of [a!, b!].entries()) {
      expect(task(s, id)).toMatchObject({ status: "in-progress", attempt: 1, window_id: windows[i] })
      expect(windowOf(s, windows[i]!)).toMatchObject({ windowName: id, dead: false })
      // Adopted as they are: not one event more, none by the reconciler.
      expect((await taskEvents(s, id))).toEqual(eventsBefore[i])
    }
    await terminate(second)
    expect((await hub(s, ["verify"])).code).toBe(0)
  })

  it("acts at once on a change from another process, not at its next tick (the default 30s)", async () => {
    const s = sandbox("daemon-wake")
    const [first, second] = await createTasks(s, ["first", "second"])
    // One slot: the first tick starts the first task; the second waits for the slot.
    const daemon = startDaemon(s, { HUB_DISPATCH_CAP: "1" }, "30s")
    expect(await waitFor(() => task(s, first!).window_id !== null, 15_000)).toBe(true)
    expect(task(s, second!).status).toBe("ready")
    // Freeing the slot is a change: the daemon starts the second task long before 30 s.
    await hubOk(s, ["task", "cancel", first!])
    expect((await waitForStatus(s, second!, "in-progress", 15_000)).status).toBe("in-progress")
    expect(await waitFor(() => task(s, second!).window_id !== null, 15_000)).toBe(true)
    // A task made ready from the backlog, likewise, once the slot is free again.
    const later = (await hubOk(s, ["task", "create", "--title", "backlog", "--status", "backlog"])).trim()
    await hubOk(s, ["task", "cancel", second!])
    await hubOk(s, ["task", "ready", later])
    expect((await waitForStatus(s, later, "in-progress", 15_000)).status).toBe("in-progress")
    await terminate(daemon)
  })

  it("acts at once on a task created through the CLI's fast path (hub task create), not at its next tick", async () => {
    const s = sandbox("daemon-wake-create")
    const [first] = await createTasks(s, ["first"])
    // Two slots: the first tick starts the first task, and then nothing is left to start.
    const daemon = startDaemon(s, { HUB_DISPATCH_CAP: "2" }, "30s")
    expect(await waitFor(() => task(s, first!).window_id !== null, 15_000)).toBe(true)
    // `hub task create` in its plain form runs on the fast path (dist/hub-fast.cjs), whose
    // store announces the write as the full CLI's does: the daemon starts it long before 30 s.
    const args = ["task", "create", "--title", "made on the fast path"]
    expect(parseFast(["node", "hub", ...args])).toMatchObject({ command: "create" })
    const made = (await hubOk(s, args)).trim()
    expect((await waitForStatus(s, made, "in-progress", 15_000)).status).toBe("in-progress")
    await terminate(daemon)
  })

  it("starts a dependent at once when its dependency is reported done, not at its next tick", async () => {
    const s = sandbox("daemon-wake-dependent")
    const [first] = await createTasks(s, ["first"])
    const dependent = (await hubOk(s, ["task", "create", "--title", "after the first", "--after", first!])).trim()
    // Two slots, but the dependent waits for the first task.
    const daemon = startDaemon(s, { HUB_DISPATCH_CAP: "2" }, "30s")
    expect(await waitFor(() => task(s, first!).window_id !== null, 15_000)).toBe(true)
    expect(task(s, dependent).status).toBe("ready")
    await hubOk(s, ["task", "report", first!, "--status", "done"])
    expect((await waitForStatus(s, dependent, "in-progress", 15_000)).status).toBe("in-progress")
    await terminate(daemon)
  })

  it("`npm start` runs it on the embedded default: $HOME/.hub, when HUB_HOME is not set", async () => {
    const s = sandbox("daemon-default-home")
    // The sandbox's HOME, so "~/.hub" is the sandbox's, never the user's.
    const defaultHome = { ...s, hubHome: path.join(s.home, ".hub") } satisfies Sandbox
    const id = (await hubOk(s, ["task", "create", "--title", "on the default home"], { HUB_HOME: undefined })).trim()
    expect(fs.existsSync(path.join(s.home, ".hub", "hub.db"))).toBe(true)

    const start = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start
    const child = spawn("sh", ["-c", `exec ${start}`], { cwd: ROOT, env: { ...s.env, HUB_HOME: undefined }, stdio: "ignore" })
    const d: Running = {
      child,
      pid: child.pid!,
      done: new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout: "", stderr: "" }))),
      exited: () => child.exitCode !== null || child.signalCode !== null,
      stderrSoFar: () => ""
    }
    running.push(d)
    await waitForStatus(defaultHome, id, "in-progress")
    expect(await waitFor(() => task(defaultHome, id).window_id !== null, 15_000)).toBe(true)
    const started = task(defaultHome, id)
    expect(started.workspace).toBe(path.join(s.home, ".hub", "workspaces", id))
    expect(windowOf(s, started.window_id!)?.dead).toBe(false)
    await terminate(d)
    expect(fs.existsSync(path.join(s.hubHome, "hub.db"))).toBe(false)
  })

  it("SIGTERM while a dispatch is paused in a slow `git worktree add`: rolled back to ready, nothing left, exit 0", async () => {
    const s = sandbox("daemon-term")
    const { bare } = await addRepo(s)
    const id = await createTask(s, "interrupted", "acme/app")
    const shim = pausingShim(s, { name: "git", words: "worktree add", when: "before", seconds: 120 })
    const d = startDaemon(s, { PATH: shim.PATH })
    const shimPid = await waitForMarker(shim.marker)
    shims.push(shimPid)
    expect(task(s, id)).toMatchObject({ status: "in-progress", lease_pid: d.pid })

    await terminate(d)
    expect(task(s, id)).toMatchObject({ status: "ready", lease_pid: null, window_id: null })
    expect((await taskEvents(s, id)).at(-1)).toMatchObject({ from: "in-progress", to: "ready", actor: "dispatcher" })
    expect(fs.existsSync(path.join(s.hubHome, "workspaces", id, "app"))).toBe(false)
    expect(branchExists(bare, `agent/${id}`)).toBe(false)
    expect(taskWindows(s)).toEqual([])
    // The git it was waiting for was stopped too.
    expect(await waitFor(() => !isRunning(shimPid), 10_000)).toBe(true)
  })
})
