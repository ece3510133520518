/**
 * Reconcile, liveness, status and verify against the real thing: the built bin, real git repos
 * in temp dirs, a private tmux server per test, and shims that pause or slow one git or tmux
 * subcommand. Every change reconcile makes must be in the history (`hub task events --json`)
 * with actor `reconciler`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import {
  addRepo,
  branchExists,
  createTask,
  createTasks,
  gitOk,
  hub,
  hubOk,
  killShim,
  liveWindows,
  loggedCalls,
  loggingTmux,
  pausingShim,
  type Running,
  slowShim,
  spawnHub,
  task,
  taskEvents,
  taskWindows,
  tmuxWithoutDeadStatus,
  waitForMarker,
  windowOf,
  trackedWorld
} from "../support/hubProcess.js"
import { type Sandbox, waitFor } from "../support/sandbox.js"

const { sandbox, running, shims } = trackedWorld()

const reconcilerEvents = async (s: Sandbox, id: string) => (await taskEvents(s, id)).filter((e) => e.actor === "reconciler")

/** Dispatches (up to the cap) and returns the window id of `id`, which must have started. */
const dispatch = async (s: Sandbox, id: string, extra: NodeJS.ProcessEnv = {}) => {
  expect(await hubOk(s, ["dispatch"], extra)).toContain(`${id} started in window`)
  const t = task(s, id)
  expect(t.status).toBe("in-progress")
  expect(t.window_id).not.toBeNull()
  return t.window_id!
}

/** Waits until the agent of a window has exited and recorded its status. */
const waitForExit = async (s: Sandbox, id: string, windowId: string) => {
  const exitFile = path.join(s.hubHome, "runs", id, "1", "exit")
  expect(await waitFor(() => windowOf(s, windowId)?.dead === true && fs.existsSync(exitFile), 15_000)).toBe(true)
}

/**
 * Bounds on git and tmux well past the shims' pauses, so that only the test's SIGKILL ends a
 * paused dispatch (hub's own timeout would otherwise roll it back first on a slow machine).
 */
const PATIENT = { HUB_TMUX_TIMEOUT: "300000", HUB_GIT_TIMEOUT: "300000" }

/** A `hub dispatch` in the background, paused inside a shim; returns it and the shim's pid. */
const pausedDispatch = async (s: Sandbox, shim: { readonly PATH: string; readonly marker: string }, extra: NodeJS.ProcessEnv = {}) => {
  const d = spawnHub(s, ["dispatch"], { PATH: shim.PATH, ...PATIENT, ...extra })
  running.push(d)
  const shimPid = await waitForMarker(shim.marker)
  shims.push(shimPid)
  return { d, shimPid }
}

const sigkill = async (d: Running, shimPid: number) => {
  d.child.kill("SIGKILL")
  const end = await d.done
  expect(end.signal).toBe("SIGKILL")
  // The shim is not hub: SIGKILL gives hub no chance to stop it, so the test does.
  killShim(shimPid)
}

describe("hub reconcile after a SIGKILLed dispatch", { timeout: 120_000 }, () => {
  it("repairs a dispatch killed inside a slow `git worktree add`: ready, no fresh worktree, and the next dispatch succeeds", async () => {
    const s = sandbox("rc-kill-git")
    const { bare } = await addRepo(s)
    const id = await createTask(s, "paused in git", "acme/app")
    const worktree = path.join(s.hubHome, "workspaces", id, "app")

    // The worktree is made, then git "hangs": the dispatcher is past the claim, before the window.
    const { d, shimPid } = await pausedDispatch(s, pausingShim(s, { name: "git", words: "worktree add", when: "after", seconds: 120 }))
    expect(task(s, id)).toMatchObject({ status: "in-progress", window_id: null, lease_pid: d.pid })
    expect(fs.existsSync(path.join(worktree, ".git"))).toBe(true)

    // While the dispatcher lives, its claim is not reconcile's business, nor a violation.
    const early = await hub(s, ["reconcile"])
    expect(early.code).toBe(0)
    expect(early.stdout).toContain(`${id}: left as is (dispatch in flight (pid ${d.pid}))`)
    expect(JSON.parse(await hubOk(s, ["status", "--json"]))).toEqual([
      expect.objectContaining({ id, status: "in-progress", liveness: "dispatching" })
    ])
    expect((await hub(s, ["verify"])).code).toBe(0)
    expect(task(s, id).status).toBe("in-progress")

    await sigkill(d, shimPid)

    const r = await hub(s, ["reconcile"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`${id}: in-progress → ready (dispatcher died before the agent started)`)
    expect(task(s, id)).toMatchObject({ status: "ready", lease_pid: null, error: null })
    expect((await taskEvents(s, id)).at(-1)).toMatchObject({
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

    // A following dispatch, without the shim, starts the task cleanly.
    const again = await hub(s, ["dispatch"])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(`${id} started in window`)
    const started = task(s, id)
    expect(started).toMatchObject({ status: "in-progress", attempt: 2 })
    expect(windowOf(s, started.window_id!)).toMatchObject({ windowName: id, dead: false })
    expect(gitOk(worktree, "rev-parse", "--abbrev-ref", "HEAD").trim()).toBe(`agent/${id}`)
  })

  it("a dispatch killed before `git worktree add` ran is repaired by the next `hub dispatch` itself, which then starts the task", async () => {
    const s = sandbox("rc-kill-git-before")
    await addRepo(s)
    const id = await createTask(s, "paused before git", "acme/app")
    const { d, shimPid } = await pausedDispatch(s, pausingShim(s, { name: "git", words: "worktree add", when: "before", seconds: 120 }))
    expect(task(s, id)).toMatchObject({ status: "in-progress", window_id: null, lease_pid: d.pid })
    expect(fs.existsSync(path.join(s.hubHome, "workspaces", id, "app"))).toBe(false)
    await sigkill(d, shimPid)

    // No separate `hub reconcile`: reconcile is the first step of every dispatch.
    const again = await hub(s, ["dispatch"])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(`${id} started in window`)
    expect(task(s, id)).toMatchObject({ status: "in-progress", attempt: 2 })
    expect((await taskEvents(s, id)).map((e) => [e.attempt, e.from, e.to, e.actor])).toEqual([
      [0, null, "ready", "human"],
      [1, "ready", "in-progress", "dispatcher"],
      [1, "in-progress", "ready", "reconciler"],
      [2, "ready", "in-progress", "dispatcher"],
      [2, "in-progress", "in-progress", "dispatcher"]
    ])
    expect(taskWindows(s).map((w) => [w.windowName, w.dead])).toEqual([[id, false]])
  })

  it("repairs a dispatch killed right after tmux made the window: the unrecorded window is killed, the worktree removed", async () => {
    const s = sandbox("rc-kill-tmux")
    const { bare } = await addRepo(s)
    const id = await createTask(s, "paused in tmux", "acme/app")
    const { d, shimPid } = await pausedDispatch(s, pausingShim(s, { name: "tmux", words: "new-window", when: "after", seconds: 120 }))
    expect(taskWindows(s).map((w) => w.windowName)).toEqual([id])
    expect(task(s, id).window_id).toBeNull()
    await sigkill(d, shimPid)

    expect(await hubOk(s, ["reconcile"])).toContain(`${id}: in-progress → ready`)
    expect(task(s, id).status).toBe("ready")
    expect((await taskEvents(s, id)).at(-1)).toMatchObject({ from: "in-progress", to: "ready", actor: "reconciler" })
    expect(taskWindows(s)).toEqual([])
    expect(fs.existsSync(path.join(s.hubHome, "workspaces", id, "app"))).toBe(false)
    expect(branchExists(bare, `agent/${id}`)).toBe(false)
  })

  it("a window that the killed dispatcher's tmux client opens after reconcile starts no agent (chaos seed 5953)", async () => {
    const s = sandbox("rc-orphan-client")
    const id = await createTask(s, "late window")
    const ran = path.join(s.dir, "agent-ran")
    // hub's session exists, so the client's one new-window is all it takes.
    expect(s.tmux(["new-session", "-d", "-s", "hub", "-n", "hub"]).status).toBe(0)
    const { d, shimPid } = await pausedDispatch(
      s,
      pausingShim(s, { name: "tmux", words: "new-window", when: "before", seconds: 120 }),
      { HUB_AGENT_COMMAND: `touch '${ran}'; sleep 600` }
    )
    // SIGKILL to hub alone: its tmux client (the shim, in a process group of its own) lives on.
    d.child.kill("SIGKILL")
    expect((await d.done).signal).toBe("SIGKILL")
    expect(await hubOk(s, ["reconcile"])).toContain(`${id}: in-progress → ready (dispatcher died before the agent started)`)

    // The client now reaches tmux: the window opens, but its agent never runs. (SIGINT ends
    // the shim's sleep without sh reporting it on the closed pipe, which would kill sh.)
    const sleeper = fs.readFileSync(`/proc/${shimPid}/task/${shimPid}/children`, "utf8").trim().split(/\s+/)[0]
    process.kill(Number(sleeper), "SIGINT")
    expect(await waitFor(() => taskWindows(s).some((w) => w.dead), 15_000)).toBe(true)
    expect(fs.existsSync(ran)).toBe(false)
    expect((await hub(s, ["verify"])).code).toBe(0)
    // reap takes the dead window away (its task is ready).
    expect(await hubOk(s, ["reap"])).toContain(id)
    expect(taskWindows(s)).toEqual([])
  })

  it("keeps the fresh worktree when the agent had already written to it before the dispatcher died", async () => {
    const s = sandbox("rc-kill-tmux-work")
    const { bare } = await addRepo(s)
    const id = await createTask(s, "agent got going", "acme/app")
    const worktree = path.join(s.hubHome, "workspaces", id, "app")
    const { d, shimPid } = await pausedDispatch(
      s,
      pausingShim(s, { name: "tmux", words: "new-window", when: "after", seconds: 120 }),
      { HUB_AGENT_COMMAND: "sh -c 'echo draft > notes.txt; sleep 600'" }
    )
    expect(await waitFor(() => fs.existsSync(path.join(worktree, "notes.txt")))).toBe(true)
    await sigkill(d, shimPid)

    expect(await hubOk(s, ["reconcile"])).toContain(`${id}: in-progress → ready`)
    expect((await taskEvents(s, id)).at(-1)).toMatchObject({ from: "in-progress", to: "ready", actor: "reconciler" })
    // The agent is stopped, but its work is not thrown away.
    expect(taskWindows(s)).toEqual([])
    expect(fs.readFileSync(path.join(worktree, "notes.txt"), "utf8")).toBe("draft\n")
    expect(branchExists(bare, `agent/${id}`)).toBe(true)
  })
})

describe("an agent that reports while its dispatcher waits for tmux (chaos F2)", { timeout: 120_000 }, () => {
  const REPORTS = { HUB_AGENT_COMMAND: "hub task report \"$HUB_TASK_ID\" --status in-review --reason done; sleep 600" }
  const OWN_START = "agent started (it reported before its dispatcher recorded it)"

  /** The agent has reported; the dispatcher is still inside `tmux new-window`. */
  const reportedFirst = async (name: string) => {
    const s = sandbox(name)
    const id = await createTask(s, "reports at once")
    const paused = await pausedDispatch(s, pausingShim(s, { name: "tmux", words: "new-window", when: "after", seconds: 120 }), REPORTS)
    expect(await waitFor(() => task(s, id).status === "in-review", 20_000)).toBe(true)
    const [window] = taskWindows(s)
    expect(window).toMatchObject({ windowName: id, dead: false })
    return { s, id, window: window!, ...paused }
  }

  it("the dispatcher SIGKILLed after the report: the start is the agent's own record, with its window, and reconcile leaves it", async () => {
    const { d, id, s, shimPid, window } = await reportedFirst("f2-kill")
    await sigkill(d, shimPid)

    expect(await hubOk(s, ["reconcile"])).not.toContain(id)
    expect(task(s, id)).toMatchObject({ status: "in-review", attempt: 1, window_id: window.windowId, lease_pid: null })
    expect((await taskEvents(s, id)).map((e) => [e.attempt, e.from, e.to, e.actor, e.reason])).toEqual([
      [0, null, "ready", "human", "created"],
      [1, "ready", "in-progress", "dispatcher", "claimed"],
      [1, "in-progress", "in-progress", "agent", OWN_START],
      [1, "in-progress", "in-review", "agent", "done"]
    ])
    expect(windowOf(s, window.windowId)).toMatchObject({ dead: false })
    expect((await hub(s, ["verify"])).code).toBe(0)
  })

  it("the dispatcher that then gets its answer from tmux commits without a second start and exits 0", async () => {
    const { d, id, s, shimPid, window } = await reportedFirst("f2-commit")
    // End only the shim's pause: tmux's answer then reaches the dispatcher.
    const sleeper = fs.readFileSync(`/proc/${shimPid}/task/${shimPid}/children`, "utf8").trim().split(/\s+/)[0]
    process.kill(Number(sleeper), "SIGKILL")
    const end = await d.done
    expect(end.code).toBe(0)
    expect(task(s, id)).toMatchObject({ status: "in-review", window_id: window.windowId, lease_pid: null })
    expect((await taskEvents(s, id)).map((e) => e.reason)).toEqual(["created", "claimed", OWN_START, "done"])
  })
})

describe("hub reconcile of agents that ended", { timeout: 120_000 }, () => {
  it("an agent that exits 3 → failed, the error naming 3", async () => {
    const s = sandbox("rc-exit3")
    const id = await createTask(s, "exits three")
    const windowId = await dispatch(s, id, { HUB_AGENT_COMMAND: "sh -c 'exit 3'" })
    await waitForExit(s, id, windowId)

    const r = await hub(s, ["reconcile"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`${id}: in-progress → failed (agent exited with status 3)`)
    expect(task(s, id)).toMatchObject({ status: "failed", error: "agent exited with status 3" })
    // Idempotent: a second pass finds nothing to do, so there is exactly one reconciler event.
    expect(await hubOk(s, ["reconcile"])).toContain("0 in-progress task(s), all alive")
    expect((await reconcilerEvents(s, id))).toEqual([
      expect.objectContaining({ attempt: 1, from: "in-progress", to: "failed", reason: "agent exited with status 3" })
    ])
  })

  it("HUB_AGENT_COMMAND='exit 3' (a shell builtin) is run, and its exit status reaches reconcile", async () => {
    const s = sandbox("rc-exit3-builtin")
    const id = await createTask(s, "exits three, builtin")
    const d = await hub(s, ["dispatch"], { HUB_AGENT_COMMAND: "exit 3" })
    expect({ code: d.code, stderr: d.stderr }).toEqual({ code: 0, stderr: "" })
    await waitForExit(s, id, task(s, id).window_id!)
    await hubOk(s, ["reconcile"])
    expect(task(s, id)).toMatchObject({ status: "failed", error: "agent exited with status 3" })
    expect((await taskEvents(s, id)).at(-1)).toMatchObject({ to: "failed", actor: "reconciler", reason: "agent exited with status 3" })
  })

  it("an agent that exits 0 without reporting → in-review", async () => {
    const s = sandbox("rc-exit0")
    const id = await createTask(s, "exits zero")
    const windowId = await dispatch(s, id, { HUB_AGENT_COMMAND: "sh -c 'exit 0'" })
    await waitForExit(s, id, windowId)

    const r = await hub(s, ["reconcile"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`${id}: in-progress → in-review (agent exited without reporting)`)
    expect(task(s, id)).toMatchObject({ status: "in-review", error: null })
    expect((await taskEvents(s, id)).at(-1)).toMatchObject({
      attempt: 1,
      from: "in-progress",
      to: "in-review",
      actor: "reconciler",
      reason: "agent exited without reporting"
    })
  })

  it("a dead pane whose pane_dead_status tmux never filled: status, verify and reconcile all name the recorded status", async () => {
    const s = sandbox("rc-blank-status")
    const id = await createTask(s, "exits five")
    const windowId = await dispatch(s, id, { HUB_AGENT_COMMAND: "sh -c 'exit 5'" })
    await waitForExit(s, id, windowId)
    // tmux answers "dead, status unknown" (it does so for good for some panes); the wrapper's
    // exit file still knows it was 5.
    const blank = { PATH: tmuxWithoutDeadStatus(s) }

    expect(JSON.parse(await hubOk(s, ["status", "--json"], blank))).toEqual([
      expect.objectContaining({ id, liveness: "dead", detail: "agent exited with status 5" })
    ])
    const v = await hub(s, ["verify"], blank)
    expect(v.code).toBe(1)
    expect(v.stdout.trim()).toBe(`violation: ${id} is in-progress without a live agent: agent exited with status 5`)
    expect(await hubOk(s, ["reconcile"], blank)).toContain(`${id}: in-progress → failed (agent exited with status 5)`)
    expect(task(s, id)).toMatchObject({ status: "failed", error: "agent exited with status 5" })
  })

  it("a window killed by hand → failed (agent window disappeared); the live agent beside it is adopted", async () => {
    const s = sandbox("rc-killwin")
    const [a, b] = await createTasks(s, ["killed by hand", "left alone"])
    const windowA = await dispatch(s, a!, { HUB_DISPATCH_CAP: "2" })
    const windowB = task(s, b!).window_id!
    expect(s.tmux(["kill-window", "-t", windowA]).status).toBe(0)

    const r = await hub(s, ["reconcile"])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(`${a}: in-progress → failed (agent window disappeared)`)
    expect(task(s, a!)).toMatchObject({ status: "failed", error: "agent window disappeared" })
    expect((await taskEvents(s, a!)).at(-1)).toMatchObject({
      attempt: 1,
      from: "in-progress",
      to: "failed",
      actor: "reconciler",
      reason: "agent window disappeared"
    })
    expect(task(s, b!)).toMatchObject({ status: "in-progress", window_id: windowB })
    expect(windowOf(s, windowB)?.dead).toBe(false)
    expect((await reconcilerEvents(s, b!))).toEqual([])
  })

  it("a tmux server that is gone → failed, naming the missing server", async () => {
    const s = sandbox("rc-noserver")
    const id = await createTask(s, "server dies")
    await dispatch(s, id)
    s.tmux(["kill-server"])

    expect(await hubOk(s, ["reconcile"])).toContain(`${id}: in-progress → failed`)
    expect(task(s, id)).toMatchObject({ status: "failed", error: "agent window disappeared (tmux server not running)" })
    expect((await taskEvents(s, id)).at(-1)).toMatchObject({ to: "failed", actor: "reconciler" })
  })
})

describe("hub reconcile adopts live agents", { timeout: 120_000 }, () => {
  it("probes the socket each agent was started on: a mistyped HUB_TMUX_SOCKET does not make it look dead", async () => {
    const s = sandbox("rc-socket")
    const id = await createTask(s, "on the sandbox server")
    const windowId = await dispatch(s, id)
    const typo = { HUB_TMUX_SOCKET: `${s.socket}-typo` }

    const r = await hub(s, ["reconcile"], typo)
    expect(r.code).toBe(0)
    expect(r.stdout).not.toContain("→")
    expect(task(s, id)).toMatchObject({ status: "in-progress", window_id: windowId, tmux_socket: s.socket })
    expect(windowOf(s, windowId)?.dead).toBe(false)
    expect((await reconcilerEvents(s, id))).toEqual([])
  })
})

describe("a liveness probe that times out", { timeout: 120_000 }, () => {
  it("leaves the task untouched, even when its window is really gone", async () => {
    const s = sandbox("rc-probe-timeout")
    const [alive, gone] = await createTasks(s, ["alive behind a slow tmux", "gone behind a slow tmux"])
    const aliveWindow = await dispatch(s, alive!, { HUB_DISPATCH_CAP: "2" })
    expect(s.tmux(["kill-window", "-t", task(s, gone!).window_id!]).status).toBe(0)
    const before = [task(s, alive!), task(s, gone!)]

    // list-panes answers after 5 s; hub gives tmux 500 ms.
    const slow = { PATH: slowShim(s, "tmux", "list-panes", 5), HUB_TMUX_TIMEOUT: "500" }
    const r = await hub(s, ["reconcile"], slow)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`${alive}: left as is (liveness unknown`)
    expect(r.stdout).toContain(`${gone}: left as is (liveness unknown`)
    expect(r.stdout).not.toContain("→")
    expect([task(s, alive!), task(s, gone!)]).toEqual(before)
    expect(windowOf(s, aliveWindow)?.dead).toBe(false)
    expect(JSON.parse(await hubOk(s, ["status", "--json"], slow)).map((row: { id: string; liveness: string }) => [row.id, row.liveness]))
      .toEqual([[alive, "unknown"], [gone, "unknown"]])
    expect((await reconcilerEvents(s, gone!))).toEqual([])

    // Once tmux answers again, the truth is told: only the gone one fails.
    await hubOk(s, ["reconcile"])
    expect(task(s, alive!).status).toBe("in-progress")
    expect(task(s, gone!)).toMatchObject({ status: "failed", error: "agent window disappeared" })
  })
})

describe("hub status --json", { timeout: 120_000 }, () => {
  it("shows every open task, and for in-progress ones the window, pane and liveness alive/dead", async () => {
    const s = sandbox("st")
    const [alive, dead, waiting, cancelled] = await createTasks(s, ["alive", "dead", "waiting", "cancelled"])
    await hubOk(s, ["task", "cancel", cancelled!])
    await dispatch(s, alive!)
    const deadWindow = await dispatch(s, dead!, { HUB_DISPATCH_CAP: "2", HUB_AGENT_COMMAND: "sh -c 'exit 7'" })
    await waitForExit(s, dead!, deadWindow)

    const rows = JSON.parse(await hubOk(s, ["status", "--json"])) as Array<Record<string, unknown>>
    expect(rows.map((r) => r.id)).toEqual([alive, dead, waiting])
    const aliveTask = task(s, alive!)
    expect(rows[0]).toMatchObject({
      status: "in-progress",
      window_id: aliveTask.window_id,
      pane_pid: aliveTask.pane_pid,
      liveness: "alive",
      detail: null
    })
    expect(windowOf(s, aliveTask.window_id!)?.panePid).toBe(aliveTask.pane_pid)
    expect(rows[1]).toMatchObject({ status: "in-progress", window_id: deadWindow, liveness: "dead" })
    expect(rows[1]!.detail).toMatch(/^agent exited/)
    expect(rows[2]).toMatchObject({ status: "ready", liveness: null, window_id: null })
    for (const row of rows) expect(typeof row.age_seconds).toBe("number")
    // status only looks: nothing was repaired.
    expect(task(s, dead!).status).toBe("in-progress")

    // One `tmux list-panes -a` answers for every task, in status as in reconcile.
    const logging = loggingTmux(s)
    await hubOk(s, ["status", "--json"], { PATH: logging.PATH })
    expect(loggedCalls(logging.log, "list-panes")).toHaveLength(1)
    await hubOk(s, ["reconcile"], { PATH: logging.PATH })
    expect(loggedCalls(logging.log, "list-panes")).toHaveLength(2)
    expect(loggedCalls(logging.log, "list-panes").every((call) => call.split(" ").includes("-a"))).toBe(true)
  })
})

describe("hub verify", { timeout: 120_000 }, () => {
  it("exits 0 on a consistent state and 1 with one line per violation, repairing nothing", async () => {
    const s = sandbox("vf")
    const [lost, finished, reviewing] = await createTasks(s, ["window lost", "done but running", "in review"])
    await hubOk(s, ["dispatch"], { HUB_DISPATCH_CAP: "3" })
    const [lostT, finishedT, reviewingT] = [lost!, finished!, reviewing!].map((id) => task(s, id))
    expect(liveWindows(s)).toHaveLength(3)
    await hubOk(s, ["task", "report", reviewing!, "--status", "in-review"])

    const ok = await hub(s, ["verify"])
    expect(ok.code).toBe(0)
    expect(ok.stdout.trim()).toBe("ok: every invariant holds")

    // 1. in-progress without a live pane; 2. a live TASK window whose task is done;
    // 3. a workspace directory without a task.
    expect(s.tmux(["kill-window", "-t", lostT!.window_id!]).status).toBe(0)
    await hubOk(s, ["task", "report", finished!, "--status", "done"])
    fs.mkdirSync(path.join(s.hubHome, "workspaces", "TASK-0042"), { recursive: true })

    const bad = await hub(s, ["verify"])
    expect(bad.code).toBe(1)
    const lines = bad.stdout.trim().split("\n")
    expect(lines).toHaveLength(3)
    expect(lines).toEqual(expect.arrayContaining([
      `violation: ${lost} is in-progress without a live agent: agent window disappeared`,
      `violation: live window ${finishedT!.window_id} (${finished}) belongs to a done task`,
      "violation: workspace TASK-0042 has no task"
    ]))
    const asJson = await hub(s, ["verify", "--json"])
    expect(asJson.code).toBe(1)
    const report = JSON.parse(asJson.stdout) as { ok: boolean; violations: Array<{ kind: string; subject: string }> }
    expect(report.ok).toBe(false)
    expect(report.violations.map((v) => `${v.kind} ${v.subject}`).sort()).toEqual([
      `in-progress-without-agent ${lost}`,
      `window-without-task ${finishedT!.window_id}`,
      "workspace-without-task TASK-0042"
    ].sort())

    // verify repairs nothing.
    expect(task(s, lost!)).toMatchObject({ status: "in-progress", window_id: lostT!.window_id })
    expect(windowOf(s, finishedT!.window_id!)?.dead).toBe(false)
    expect(windowOf(s, reviewingT!.window_id!)?.dead).toBe(false)
    expect(fs.existsSync(path.join(s.hubHome, "workspaces", "TASK-0042"))).toBe(true)
  })

  it("counts a live TASK window of an unknown task, and ignores windows outside session `hub`", async () => {
    const s = sandbox("vf-stray")
    const id = await createTask(s, "running")
    await dispatch(s, id)
    expect(s.tmux(["new-window", "-d", "-t", "=hub:", "-n", "TASK-0099", "sleep 600"]).status).toBe(0)
    expect(s.tmux(["new-session", "-d", "-s", "other", "-n", "TASK-0098", "sleep 600"]).status).toBe(0)
    expect(s.tmux(["new-window", "-d", "-t", "=hub:", "-n", "scratch", "sleep 600"]).status).toBe(0)

    const v = await hub(s, ["verify"])
    expect(v.code).toBe(1)
    expect(v.stdout.trim().split("\n")).toEqual([expect.stringMatching(/^violation: live window @\d+ \(TASK-0099\) belongs to no task$/)])
  })
})
