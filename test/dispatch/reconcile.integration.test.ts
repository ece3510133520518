/**
 * Reconcile, liveness, status and verify against the real thing: the built bin, real git repos
 * in temp dirs, a private tmux server per test, and shims that pause or slow one git or tmux
 * subcommand. Every change reconcile makes must be in the history with actor `reconciler`.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import {
  addRepo,
  branchExists,
  createTask,
  createTasks,
  gitOk,
  hubOk,
  killShim,
  liveWindows,
  pausingShim,
  type Running,
  showTask,
  slowShim,
  spawnHub,
  stop,
  taskEvents,
  taskWindows,
  waitForMarker,
  windowOf
} from "../support/hubProcess.js"
import { makeSandbox, type Sandbox, waitFor } from "../support/sandbox.js"

const sandboxes: Array<Sandbox> = []
const running: Array<Running> = []
const shims: Array<number> = []

const sandbox = (name: string) => {
  const s = makeSandbox(name)
  sandboxes.push(s)
  return s
}

afterEach(() => {
  for (const r of running.splice(0)) stop(r)
  for (const pid of shims.splice(0)) killShim(pid)
  for (const s of sandboxes.splice(0)) s.dispose()
})

const lastEvent = (s: Sandbox, id: string) => taskEvents(s, id).at(-1)!

const reconcilerEvents = (s: Sandbox, id: string) => taskEvents(s, id).filter((e) => e.actor === "reconciler")

/** Dispatches one task and returns its window id, failing the test if it did not start. */
const dispatchOne = (s: Sandbox, id: string, extra: NodeJS.ProcessEnv = {}) => {
  const out = hubOk(s, ["dispatch"], extra)
  expect(out).toContain(`${id} started in window`)
  const task = showTask(s, id)
  expect(task.status).toBe("in-progress")
  expect(task.window_id).not.toBeNull()
  return task.window_id!
}

const waitForDeadPane = async (s: Sandbox, windowId: string) => {
  expect(await waitFor(() => windowOf(s, windowId)?.dead === true, 15_000)).toBe(true)
}

describe("hub reconcile after a SIGKILLed dispatch", () => {
  it("repairs a dispatch killed inside a slow `git worktree add`: ready, no fresh worktree, and the next dispatch succeeds", async () => {
    const s = sandbox("rc-kill-git")
    const { bare } = addRepo(s)
    const id = createTask(s, "paused in git", "acme/app")
    const worktree = path.join(s.hubHome, "workspaces", id, "app")

    // The worktree is made, then git "hangs": the dispatcher is past the claim, before the window.
    const shim = pausingShim(s, { name: "git", words: "worktree add", when: "after", seconds: 120 })
    const dispatch = spawnHub(s, ["dispatch"], { PATH: shim.PATH })
    running.push(dispatch)
    const shimPid = await waitForMarker(shim.marker)
    shims.push(shimPid)

    const inFlight = showTask(s, id)
    expect(inFlight.status).toBe("in-progress")
    expect(inFlight.window_id).toBeNull()
    expect(inFlight.lease_pid).toBe(dispatch.pid)
    expect(fs.existsSync(path.join(worktree, ".git"))).toBe(true)

    // While the dispatcher lives, its claim is not reconcile's business, nor a violation.
    const early = s.hub(["reconcile"])
    expect(early.code).toBe(0)
    expect(early.stdout).toContain(`${id}: left as is (dispatch in flight (pid ${dispatch.pid}))`)
    expect(showTask(s, id).status).toBe("in-progress")
    const status = JSON.parse(hubOk(s, ["status", "--json"]))
    expect(status).toEqual([expect.objectContaining({ id, status: "in-progress", liveness: "dispatching" })])
    expect(s.hub(["verify"]).code).toBe(0)

    dispatch.child.kill("SIGKILL")
    const killed = await dispatch.done
    expect(killed.signal).toBe("SIGKILL")
    killShim(shimPid)

    const r = s.hub(["reconcile"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`${id}: in-progress → ready (dispatcher died before the agent started)`)
    const repaired = showTask(s, id)
    expect(repaired.status).toBe("ready")
    expect(repaired.lease_pid).toBeNull()
    expect(lastEvent(s, id)).toMatchObject({
      attempt: 1,
      from: "in-progress",
      to: "ready",
      actor: "reconciler",
      reason: "dispatcher died before the agent started"
    })
    // The attempt's fresh worktree held no work: it and its branch are gone.
    expect(fs.existsSync(worktree)).toBe(false)
    expect(branchExists(bare, `agent/${id}`)).toBe(false)
    expect(gitOk(bare, "worktree", "list", "--porcelain")).not.toContain(worktree)
    expect(taskWindows(s)).toEqual([])
    expect(s.hub(["verify"]).code).toBe(0)

    // A following dispatch, without the shim, starts the task cleanly.
    const again = s.hub(["dispatch"])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(`${id} started in window`)
    const started = showTask(s, id)
    expect(started.status).toBe("in-progress")
    expect(started.attempt).toBe(2)
    expect(windowOf(s, started.window_id!)).toMatchObject({ windowName: id, dead: false })
    expect(gitOk(worktree, "rev-parse", "--abbrev-ref", "HEAD").trim()).toBe(`agent/${id}`)
  })

  it("repairs a dispatch killed while `git worktree add` has not run yet: ready, nothing left behind", async () => {
    const s = sandbox("rc-kill-git-before")
    const { bare } = addRepo(s)
    const id = createTask(s, "paused before git", "acme/app")
    const shim = pausingShim(s, { name: "git", words: "worktree add", when: "before", seconds: 120 })
    const dispatch = spawnHub(s, ["dispatch"], { PATH: shim.PATH })
    running.push(dispatch)
    const shimPid = await waitForMarker(shim.marker)
    shims.push(shimPid)
    expect(showTask(s, id)).toMatchObject({ status: "in-progress", window_id: null, lease_pid: dispatch.pid })
    expect(fs.existsSync(path.join(s.hubHome, "workspaces", id, "app"))).toBe(false)

    dispatch.child.kill("SIGKILL")
    await dispatch.done
    killShim(shimPid)

    const r = s.hub(["reconcile"])
    expect(r.code).toBe(0)
    expect(showTask(s, id).status).toBe("ready")
    expect(lastEvent(s, id)).toMatchObject({ from: "in-progress", to: "ready", actor: "reconciler" })
    expect(fs.existsSync(path.join(s.hubHome, "workspaces", id, "app"))).toBe(false)
    expect(branchExists(bare, `agent/${id}`)).toBe(false)
    expect(taskWindows(s)).toEqual([])
  })

  it("repairs a dispatch killed right after tmux made the window: the unrecorded window is killed, the worktree removed", async () => {
    const s = sandbox("rc-kill-tmux")
    const { bare } = addRepo(s)
    const id = createTask(s, "paused in tmux", "acme/app")
    const worktree = path.join(s.hubHome, "workspaces", id, "app")
    const shim = pausingShim(s, { name: "tmux", words: "new-window", when: "after", seconds: 120 })
    const dispatch = spawnHub(s, ["dispatch"], { PATH: shim.PATH })
    running.push(dispatch)
    const shimPid = await waitForMarker(shim.marker)
    shims.push(shimPid)
    expect(taskWindows(s).map((w) => w.windowName)).toEqual([id])
    expect(showTask(s, id).window_id).toBeNull()

    dispatch.child.kill("SIGKILL")
    await dispatch.done
    killShim(shimPid)

    const r = s.hub(["reconcile"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`${id}: in-progress → ready`)
    expect(showTask(s, id).status).toBe("ready")
    expect(lastEvent(s, id)).toMatchObject({ from: "in-progress", to: "ready", actor: "reconciler" })
    expect(taskWindows(s)).toEqual([])
    expect(fs.existsSync(worktree)).toBe(false)
    expect(branchExists(bare, `agent/${id}`)).toBe(false)
  })
})

describe("hub reconcile of agents that ended", () => {
  it("an agent that exits 3 → failed, the error naming 3", async () => {
    const s = sandbox("rc-exit3")
    const id = createTask(s, "exits three")
    const windowId = dispatchOne(s, id, { HUB_AGENT_COMMAND: "sh -c 'exit 3'" })
    await waitForDeadPane(s, windowId)

    // Before the repair, status and verify tell the truth about the dead agent.
    const status = JSON.parse(hubOk(s, ["status", "--json"]))
    expect(status).toEqual([expect.objectContaining({ id, liveness: "dead", detail: "agent exited with status 3" })])
    const v = s.hub(["verify"])
    expect(v.code).toBe(1)
    expect(v.stdout.trim().split("\n")).toEqual([expect.stringMatching(new RegExp(`^violation: ${id} is in-progress.*status 3`))])

    const r = s.hub(["reconcile"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`${id}: in-progress → failed (agent exited with status 3)`)
    const task = showTask(s, id)
    expect(task.status).toBe("failed")
    expect(task.error).toBe("agent exited with status 3")
    expect(lastEvent(s, id)).toMatchObject({
      attempt: 1,
      from: "in-progress",
      to: "failed",
      actor: "reconciler",
      reason: "agent exited with status 3"
    })
    // Idempotent: a second pass finds nothing to do, and the invariants hold.
    expect(hubOk(s, ["reconcile"])).toContain("0 in-progress task(s), all alive")
    expect(reconcilerEvents(s, id)).toHaveLength(1)
    expect(s.hub(["verify"]).code).toBe(0)
  })

  it("HUB_AGENT_COMMAND='exit 3' (a shell builtin) is run, and its exit status reaches reconcile", async () => {
    const s = sandbox("rc-exit3-builtin")
    const id = createTask(s, "exits three, builtin")
    const d = s.hub(["dispatch"], { HUB_AGENT_COMMAND: "exit 3" })
    expect({ code: d.code, stderr: d.stderr }).toEqual({ code: 0, stderr: "" })
    const windowId = showTask(s, id).window_id!
    await waitForDeadPane(s, windowId)
    hubOk(s, ["reconcile"])
    expect(showTask(s, id)).toMatchObject({ status: "failed", error: "agent exited with status 3" })
    expect(lastEvent(s, id)).toMatchObject({ to: "failed", actor: "reconciler", reason: "agent exited with status 3" })
  })

  it("an agent that exits 0 without reporting → in-review", async () => {
    const s = sandbox("rc-exit0")
    const id = createTask(s, "exits zero")
    const windowId = dispatchOne(s, id, { HUB_AGENT_COMMAND: "sh -c 'exit 0'" })
    await waitForDeadPane(s, windowId)

    const r = s.hub(["reconcile"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`${id}: in-progress → in-review (agent exited without reporting)`)
    const task = showTask(s, id)
    expect(task.status).toBe("in-review")
    expect(task.error).toBeNull()
    expect(lastEvent(s, id)).toMatchObject({
      from: "in-progress",
      to: "in-review",
      actor: "reconciler",
      reason: "agent exited without reporting"
    })
  })

  it("a window killed by hand → failed (agent window disappeared)", async () => {
    const s = sandbox("rc-killwin")
    const [a, b] = await createTasks(s, ["killed by hand", "left alone"])
    const windowA = dispatchOne(s, a!, { HUB_DISPATCH_CAP: "2" })
    const windowB = showTask(s, b!).window_id!
    expect(s.tmux(["kill-window", "-t", windowA]).status).toBe(0)

    const v = s.hub(["verify"])
    expect(v.code).toBe(1)
    expect(v.stdout.trim().split("\n")).toEqual([`violation: ${a} is in-progress but its agent is window gone`])

    const r = s.hub(["reconcile"])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(`${a}: in-progress → failed (agent window disappeared)`)
    expect(showTask(s, a!)).toMatchObject({ status: "failed", error: "agent window disappeared" })
    expect(lastEvent(s, a!)).toMatchObject({
      from: "in-progress",
      to: "failed",
      actor: "reconciler",
      reason: "agent window disappeared"
    })
    // The live agent beside it is adopted as it is.
    expect(showTask(s, b!)).toMatchObject({ status: "in-progress", window_id: windowB })
    expect(windowOf(s, windowB)?.dead).toBe(false)
    expect(reconcilerEvents(s, b!)).toEqual([])
    expect(s.hub(["verify"]).code).toBe(0)
  })

  it("a tmux server that is gone → failed, naming the missing server", async () => {
    const s = sandbox("rc-noserver")
    const id = createTask(s, "server dies")
    dispatchOne(s, id)
    s.tmux(["kill-server"])

    const r = s.hub(["reconcile"])
    expect(r.code).toBe(0)
    expect(showTask(s, id)).toMatchObject({ status: "failed", error: "agent window disappeared (tmux server not running)" })
    expect(lastEvent(s, id)).toMatchObject({ to: "failed", actor: "reconciler" })
  })
})

describe("a liveness probe that times out", () => {
  it("leaves the task untouched, even when its window is really gone", async () => {
    const s = sandbox("rc-probe-timeout")
    const [alive, gone] = await createTasks(s, ["alive behind a slow tmux", "gone behind a slow tmux"])
    dispatchOne(s, alive!, { HUB_DISPATCH_CAP: "2" })
    const aliveWindow = showTask(s, alive!).window_id!
    const goneWindow = showTask(s, gone!).window_id!
    expect(s.tmux(["kill-window", "-t", goneWindow]).status).toBe(0)
    const eventsBefore = { alive: taskEvents(s, alive!).length, gone: taskEvents(s, gone!).length }

    const slow = { PATH: slowShim(s, "tmux", "list-panes", 5), HUB_TMUX_TIMEOUT: "500" }
    const r = s.hub(["reconcile"], slow)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`${alive}: left as is (liveness unknown`)
    expect(r.stdout).toContain(`${gone}: left as is (liveness unknown`)
    expect(r.stdout).not.toContain("→")
    for (const id of [alive!, gone!]) {
      expect(showTask(s, id)).toMatchObject({ status: "in-progress", error: null })
      expect(reconcilerEvents(s, id)).toEqual([])
    }
    expect(taskEvents(s, alive!)).toHaveLength(eventsBefore.alive)
    expect(taskEvents(s, gone!)).toHaveLength(eventsBefore.gone)
    expect(windowOf(s, aliveWindow)?.dead).toBe(false)

    const status = JSON.parse(hubOk(s, ["status", "--json"], slow)) as Array<{ id: string; liveness: string }>
    expect(status.map((row) => [row.id, row.liveness])).toEqual([[alive, "unknown"], [gone, "unknown"]])

    // Once tmux answers again, the truth is told: only the gone one fails.
    hubOk(s, ["reconcile"])
    expect(showTask(s, alive!).status).toBe("in-progress")
    expect(showTask(s, gone!)).toMatchObject({ status: "failed", error: "agent window disappeared" })
  })
})

describe("hub status --json", () => {
  it("shows every open task, and for in-progress ones the window, pane and liveness alive/dead", async () => {
    const s = sandbox("st")
    const [alive, dead, waiting, cancelled] = await createTasks(s, ["alive", "dead", "waiting", "cancelled"])
    hubOk(s, ["task", "cancel", cancelled!])
    dispatchOne(s, alive!)
    dispatchOne(s, dead!, { HUB_DISPATCH_CAP: "2", HUB_AGENT_COMMAND: "sh -c 'exit 7'" })
    await waitForDeadPane(s, showTask(s, dead!).window_id!)

    const rows = JSON.parse(hubOk(s, ["status", "--json"])) as Array<Record<string, unknown>>
    expect(rows.map((r) => r.id)).toEqual([alive, dead, waiting])
    const aliveTask = showTask(s, alive!)
    expect(rows[0]).toMatchObject({
      status: "in-progress",
      window_id: aliveTask.window_id,
      pane_pid: aliveTask.pane_pid,
      liveness: "alive",
      detail: null
    })
    expect(windowOf(s, aliveTask.window_id!)?.panePid).toBe(aliveTask.pane_pid)
    expect(rows[1]).toMatchObject({ status: "in-progress", liveness: "dead", detail: "agent exited with status 7" })
    expect(rows[2]).toMatchObject({ status: "ready", liveness: null, window_id: null })
    for (const row of rows) expect(typeof row.age_seconds).toBe("number")

    // status only looks: nothing was repaired.
    expect(showTask(s, dead!).status).toBe("in-progress")
  })
})

describe("hub verify", () => {
  it("exits 0 on a consistent state and 1 with one line per violation, repairing nothing", async () => {
    const s = sandbox("vf")
    const [lost, finished, reviewing] = await createTasks(s, ["window lost", "done but running", "in review"])
    hubOk(s, ["dispatch"], { HUB_DISPATCH_CAP: "3" })
    const [lostT, finishedT, reviewingT] = [lost!, finished!, reviewing!].map((id) => showTask(s, id))
    expect(liveWindows(s)).toHaveLength(3)
    hubOk(s, ["task", "report", reviewing!, "--status", "in-review"])

    const ok = s.hub(["verify"])
    expect(ok.code).toBe(0)
    expect(ok.stdout.trim()).toBe("ok: every invariant holds")
    expect(JSON.parse(hubOk(s, ["verify", "--json"]))).toEqual({ ok: true, violations: [] })

    // 1. in-progress without a live pane; 2. a live TASK window whose task is done;
    // 3. a workspace directory without a task.
    expect(s.tmux(["kill-window", "-t", lostT!.window_id!]).status).toBe(0)
    hubOk(s, ["task", "report", finished!, "--status", "done"])
    fs.mkdirSync(path.join(s.hubHome, "workspaces", "TASK-0042"), { recursive: true })

    const bad = s.hub(["verify"])
    expect(bad.code).toBe(1)
    const lines = bad.stdout.trim().split("\n")
    expect(lines).toHaveLength(3)
    expect(lines).toEqual(expect.arrayContaining([
      `violation: ${lost} is in-progress but its agent is window gone`,
      `violation: live window ${finishedT!.window_id} (${finished}) belongs to a done task`,
      "violation: workspace TASK-0042 has no task"
    ]))
    const asJson = s.hub(["verify", "--json"])
    expect(asJson.code).toBe(1)
    const report = JSON.parse(asJson.stdout) as { ok: boolean; violations: Array<{ kind: string; subject: string }> }
    expect(report.ok).toBe(false)
    expect(report.violations.map((v) => `${v.kind} ${v.subject}`).sort()).toEqual([
      `in-progress-without-agent ${lost}`,
      "window-without-task " + finishedT!.window_id,
      "workspace-without-task TASK-0042"
    ].sort())

    // verify repairs nothing.
    expect(showTask(s, lost!).status).toBe("in-progress")
    expect(reconcilerEvents(s, lost!)).toEqual([])
    expect(windowOf(s, finishedT!.window_id!)?.dead).toBe(false)
    expect(windowOf(s, reviewingT!.window_id!)?.dead).toBe(false)
    expect(fs.existsSync(path.join(s.hubHome, "workspaces", "TASK-0042"))).toBe(true)
  })

  it("counts a live TASK window of an unknown task, and ignores windows outside session `hub`", async () => {
    const s = sandbox("vf-stray")
    const id = createTask(s, "running")
    dispatchOne(s, id)
    expect(s.tmux(["new-window", "-d", "-t", "=hub:", "-n", "TASK-0099", "sleep 600"]).status).toBe(0)
    expect(s.tmux(["new-session", "-d", "-s", "other", "-n", "TASK-0098", "sleep 600"]).status).toBe(0)
    expect(s.tmux(["new-window", "-d", "-t", "=hub:", "-n", "scratch", "sleep 600"]).status).toBe(0)

    const v = s.hub(["verify"])
    expect(v.code).toBe(1)
    const lines = v.stdout.trim().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^violation: live window @\d+ \(TASK-0099\) belongs to no task$/)
  })
})
