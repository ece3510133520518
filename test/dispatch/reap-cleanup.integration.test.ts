/**
 * `hub reap`, `hub task cancel` and `hub cleanup` against the real thing: the built bin, real
 * git worktrees pushed to a real origin, and a private tmux server per test.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import {
  addRepo,
  branchExists,
  createTask,
  createTasks,
  gatedShim,
  gitOk,
  hub,
  hubOk,
  liveWindows,
  panes,
  spawnHub,
  task,
  taskEvents,
  taskWindows,
  trackedWorld
} from "../support/hubProcess.js"
import { type Sandbox, waitFor } from "../support/sandbox.js"

const { sandbox, running } = trackedWorld()

const windowNames = (s: Sandbox) => taskWindows(s).map((w) => w.windowName).sort()

describe("hub reap", { timeout: 120_000 }, () => {
  it("kills windows of backlog, cancelled, ready, failed and done tasks, and of in-review ones only after --after", async () => {
    const s = sandbox("reap")
    const [working, done, failed, reviewing, cancelled, waiting] = await createTasks(s, [
      "working", "done", "failed", "reviewing", "cancelled", "waiting"
    ])
    await hubOk(s, ["task", "cancel", cancelled!])
    const later = (await hubOk(s, ["task", "create", "--title", "later", "--status", "backlog"])).trim()
    // Four agents; `waiting` stays ready because the cap is 4.
    await hubOk(s, ["dispatch"], { HUB_DISPATCH_CAP: "4" })
    expect(windowNames(s)).toEqual([working, done, failed, reviewing].sort())
    await hubOk(s, ["task", "report", done!, "--status", "done"])
    await hubOk(s, ["task", "report", failed!, "--status", "failed"])
    await hubOk(s, ["task", "report", reviewing!, "--status", "in-review"])
    // Windows hub did not make, but that name tasks: a cancelled one, a ready one, a backlog one,
    // none at all; and windows that are not hub's to touch.
    for (const name of [cancelled!, waiting!, later, "TASK-0099", "scratch"]) {
      expect(s.tmux(["new-window", "-d", "-t", "=hub:", "-n", name, "sleep 600"]).status).toBe(0)
    }
    expect(s.tmux(["new-session", "-d", "-s", "other", "-n", done!, "sleep 600"]).status).toBe(0)
    const before = new Map(taskWindows(s).map((w) => [w.windowName, w.windowId]))

    const first = await hub(s, ["reap", "--after", "1h", "--json"])
    expect(first.code).toBe(0)
    const reaped = JSON.parse(first.stdout) as Array<{ windowId: string; taskId: string; why: string }>
    expect(reaped.map((r) => [r.taskId, r.windowId, r.why]).sort()).toEqual([
      [done, before.get(done!), "task is done"],
      [failed, before.get(failed!), "task is failed"],
      [cancelled, before.get(cancelled!), "task is cancelled"],
      [waiting, before.get(waiting!), "task is ready"],
      [later, before.get(later), "task is backlog"],
      ["TASK-0099", before.get("TASK-0099"), "no such task"]
    ].sort())
    expect(windowNames(s)).toEqual([working, reviewing].sort())
    expect(panes(s).filter((p) => p.windowName === "scratch")).toHaveLength(1)
    expect(panes(s).filter((p) => p.session === "other" && p.windowName === done)).toHaveLength(1)

    // The in-review window goes once the grace period is over; the working agent never.
    const second = await hub(s, ["reap", "--after", "0s"])
    expect(second.code).toBe(0)
    expect(second.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(new RegExp(`^${reviewing}: killed window ${before.get(reviewing!)} \\(in review for more than .+\\)$`))
    ])
    expect(windowNames(s)).toEqual([working])
    expect(task(s, working!).status).toBe("in-progress")
    expect((await hubOk(s, ["reap", "--after", "0s"])).trim()).toBe("no windows to reap")
    // Reaping a window changes no task.
    expect(task(s, reviewing!).status).toBe("in-review")
    expect(task(s, done!).status).toBe("done")
  })
})

describe("hub task cancel", { timeout: 120_000 }, () => {
  it("kills the agent's window at once", async () => {
    const s = sandbox("cancel")
    const id = await createTask(s, "to be cancelled")
    await hubOk(s, ["dispatch"])
    const windowId = task(s, id).window_id!
    expect(taskWindows(s).map((w) => w.windowId)).toEqual([windowId])

    expect((await hubOk(s, ["task", "cancel", id])).trim()).toBe(`${id} cancelled`)
    // No polling: the window is gone when the command returns.
    expect(taskWindows(s)).toEqual([])
    expect(task(s, id).status).toBe("cancelled")
    expect((await taskEvents(s, id)).at(-1)).toMatchObject({ from: "in-progress", to: "cancelled", actor: "human" })
    expect((await hub(s, ["verify"])).code).toBe(0)
  })
})

describe("hub task cancel during a dispatch", { timeout: 120_000 }, () => {
  it("a task cancelled while its window is being opened ends with no agent running", async () => {
    const s = sandbox("cancel-mid")
    const id = await createTask(s, "cancelled mid-dispatch")
    const gate = gatedShim(s, "tmux", "new-window")
    // tmux is held at the gate: a generous bound, so only the gate decides when it answers.
    const d = spawnHub(s, ["dispatch"], { PATH: gate.PATH, HUB_TMUX_TIMEOUT: "60000" })
    running.push(d)
    expect(await waitFor(gate.reached, 30_000)).toBe(true)

    expect((await hubOk(s, ["task", "cancel", id])).trim()).toBe(`${id} cancelled`)
    gate.release()
    await d.done
    expect(task(s, id).status).toBe("cancelled")
    expect(liveWindows(s)).toEqual([])
    expect((await hub(s, ["verify"])).code).toBe(0)
  })
})

describe("hub cleanup", { timeout: 120_000 }, () => {
  it("keeps worktrees with uncommitted, untracked or unpushed work, saying why, and removes a clean pushed one; --dry-run removes nothing", async () => {
    const s = sandbox("cleanup")
    const { bare } = await addRepo(s)
    const [dirty, untracked, unpublished, ahead, pushed, running] = await createTasks(s, [
      "uncommitted", "untracked", "no upstream", "unpushed commit", "clean and pushed", "still running"
    ], "acme/app")
    await hubOk(s, ["dispatch"], { HUB_DISPATCH_CAP: "6" })
    const dir = (id: string) => path.join(s.hubHome, "workspaces", id, "app")
    const all = [dirty!, untracked!, unpublished!, ahead!, pushed!, running!]
    for (const id of all) expect(task(s, id)).toMatchObject({ status: "in-progress", workspace: dir(id) })

    const commit = (id: string, file: string) => {
      fs.writeFileSync(path.join(dir(id), file), `${file}\n`)
      gitOk(dir(id), "add", file)
      gitOk(dir(id), "commit", "-q", "-m", `add ${file}`)
    }
    const push = (id: string) => gitOk(dir(id), "push", "-q", "-u", "origin", `agent/${id}`)

    fs.appendFileSync(path.join(dir(dirty!), "README.md"), "changed\n")
    fs.writeFileSync(path.join(dir(untracked!), "notes.txt"), "new\n")
    commit(unpublished!, "local.txt")
    commit(ahead!, "first.txt")
    push(ahead!)
    commit(ahead!, "second.txt")
    commit(pushed!, "work.txt")
    push(pushed!)
    commit(running!, "work.txt")
    push(running!)
    for (const id of [dirty!, untracked!, unpublished!, ahead!, pushed!]) {
      await hubOk(s, ["task", "report", id, "--status", "done"])
    }

    // Everything finished just now: the default limit (72h) keeps all.
    expect((await hubOk(s, ["cleanup"])).trim()).toBe("nothing to clean up")

    const expectedKept = [
      `${dirty}: kept ${dir(dirty!)} (uncommitted changes)`,
      `${untracked}: kept ${dir(untracked!)} (untracked files)`,
      `${unpublished}: kept ${dir(unpublished!)} (branch has no upstream)`,
      `${ahead}: kept ${dir(ahead!)} (1 unpushed commit(s))`
    ]
    const dry = await hub(s, ["cleanup", "--older-than", "0s", "--dry-run"])
    expect(dry.code).toBe(0)
    expect(dry.stdout.trim().split("\n").sort()).toEqual([
      ...expectedKept,
      `${pushed}: would remove ${dir(pushed!)} (clean and pushed)`
    ].sort())
    for (const id of all) expect(fs.existsSync(dir(id))).toBe(true)

    const real = await hub(s, ["cleanup", "--older-than", "0s"])
    expect(real.code).toBe(0)
    expect(real.stdout.trim().split("\n").sort()).toEqual([
      ...expectedKept,
      `${pushed}: removed ${dir(pushed!)} (clean and pushed)`
    ].sort())
    expect(fs.existsSync(dir(pushed!))).toBe(false)
    expect(gitOk(bare, "worktree", "list", "--porcelain")).not.toContain(dir(pushed!))
    for (const id of [dirty!, untracked!, unpublished!, ahead!, running!]) {
      expect(fs.existsSync(path.join(dir(id), ".git"))).toBe(true)
    }
    // The work in the kept worktrees is untouched, and the pushed branch stays in the clone.
    expect(fs.readFileSync(path.join(dir(dirty!), "README.md"), "utf8")).toContain("changed")
    expect(fs.existsSync(path.join(dir(untracked!), "notes.txt"))).toBe(true)
    expect(branchExists(bare, `agent/${pushed}`)).toBe(true)
    // Nothing else under HUB_HOME is touched.
    for (const kept of ["hub.db", "repos/acme/app.git/HEAD", `runs/${pushed}/1/task-prompt`]) {
      expect(fs.existsSync(path.join(s.hubHome, kept))).toBe(true)
    }
    // A second pass has nothing new to remove.
    expect((await hubOk(s, ["cleanup", "--older-than", "0s"])).trim().split("\n").sort()).toEqual(expectedKept.sort())
  })
})
