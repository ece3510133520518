import { describe, expect, it } from "@effect/vitest"
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { permissionModeFor } from "../../src/agent/Agent.js"
import { trackedWorld } from "../support/hubProcess.js"
import { BIN, makeOriginRepo, realBinary, type Sandbox, waitFor, writeShim } from "../support/sandbox.js"

const world = trackedWorld()
const sandbox = () => world.sandbox("dispatch")

const taskJson = async (s: Sandbox, id: string) => JSON.parse((await s.hub(["task", "show", id, "--json"])).stdout)
const events = async (s: Sandbox, id: string) => JSON.parse((await s.hub(["task", "events", id, "--json"])).stdout) as Array<any>
const windows = (s: Sandbox) => {
  const r = s.tmux(["list-windows", "-a", "-F", "#{window_name} #{window_id} #{pane_dead}"])
  return r.status === 0 ? r.stdout.trim().split("\n").filter((l) => l.startsWith("TASK-")) : []
}
const git = (cwd: string, ...args: Array<string>) => spawnSync("git", args, { cwd, encoding: "utf8" })

/** An agent that writes what it sees (env, cwd) into the run folder, then stays alive. */
const RECORDING_AGENT = "env > \"$HUB_RUN_DIR/env\"; pwd > \"$HUB_RUN_DIR/pwd\"; sleep 600"

const withRepo = async (s: Sandbox) => {
  const origin = makeOriginRepo(path.join(s.dir, "origin"))
  const added = await s.hub(["repo", "add", "acme/widget", origin])
  expect(added.code, added.stderr).toBe(0)
  return origin
}

describe("hub dispatch against real git and tmux", () => {
  it("happy path: a live window in the worktree, on its own branch, with the variables set", async () => {
    const s = sandbox()
    await withRepo(s)
    const title = "Fix the widget"
    expect((await s.hub(["task", "create", "--title", title, "--repo", "acme/widget", "--kind", "debug"])).stdout.trim()).toBe("TASK-0001")
    const r = await s.hub(["dispatch"], { HUB_AGENT_COMMAND: RECORDING_AGENT })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain("TASK-0001 started")

    const task = await taskJson(s, "TASK-0001")
    expect(task.status).toBe("in-progress")
    expect(task.attempt).toBe(1)
    expect(task.window_id).toMatch(/^@\d+$/)
    const worktree = path.join(s.hubHome, "workspaces", "TASK-0001", "widget")
    expect(task.workspace).toBe(worktree)
    expect(windows(s)).toEqual([`TASK-0001 ${task.window_id} 0`])

    const runDir = path.join(s.hubHome, "runs", "TASK-0001", "1")
    expect(await waitFor(() => fs.existsSync(path.join(runDir, "pwd")) && fs.existsSync(path.join(runDir, "env")))).toBe(true)
    expect(fs.realpathSync(fs.readFileSync(path.join(runDir, "pwd"), "utf8").trim())).toBe(fs.realpathSync(worktree))
    const env = fs.readFileSync(path.join(runDir, "env"), "utf8")
    expect(env).toContain("HUB_TASK_ID=TASK-0001\n")
    expect(env).toContain(`HUB_SESSION_ID=${task.session_id}\n`)
    expect(env).toContain("HUB_MODEL=opus\n")
    expect(env).toContain(`HUB_HOME=${s.hubHome}\n`)
    expect(env).toMatch(/HUB_SYSTEM_PROMPT=You are a coding agent/)
    expect(env).toMatch(/HUB_TASK_PROMPT=Task TASK-0001 \(debug\): Fix the widget/)
    // The agent can call hub: the bin's shim is on its PATH.
    expect(env).toMatch(/PATH=[^\n]*dist\/bin/)

    expect(git(worktree, "rev-parse", "--abbrev-ref", "HEAD").stdout.trim()).toBe("agent/TASK-0001")
    // --no-track: a fresh branch must not look pushed.
    expect(git(worktree, "rev-parse", "--abbrev-ref", "@{upstream}").status).not.toBe(0)
    expect((await events(s, "TASK-0001")).map((e) => `${e.from}>${e.to}:${e.actor}:${e.reason}`)).toEqual([
      "null>ready:human:created",
      "ready>in-progress:dispatcher:claimed",
      "in-progress>in-progress:dispatcher:agent started"
    ])
  })

  it("the session id is UUID v5 of TASK#attempt, and a retry keeps the worktree with its work", async () => {
    const s = sandbox()
    await withRepo(s)
    await s.hub(["task", "create", "--title", "t", "--repo", "acme/widget"])
    expect((await s.hub(["dispatch"])).code).toBe(0)
    const first = await taskJson(s, "1")
    const worktree = first.workspace as string
    fs.writeFileSync(path.join(worktree, "work-in-progress.txt"), "keep me\n")
    expect((await s.hub(["task", "report", "1", "--status", "failed"])).code).toBe(0)
    expect((await s.hub(["task", "retry", "1"])).code).toBe(0)
    expect(windows(s)).toEqual([])
    const again = await s.hub(["dispatch"])
    expect(again.code, again.stderr).toBe(0)
    const second = await taskJson(s, "1")
    expect(second.attempt).toBe(2)
    expect(second.workspace).toBe(worktree)
    expect(second.session_id).not.toBe(first.session_id)
    expect(fs.readFileSync(path.join(worktree, "work-in-progress.txt"), "utf8")).toBe("keep me\n")
    const py = spawnSync("python3", ["-c", "import uuid,sys; print(uuid.uuid5(uuid.UUID('6ba7b814-9dad-11d1-80b4-00c04fd430c8'), sys.argv[1]))", "TASK-0001#2"], { encoding: "utf8" })
    if (py.status === 0) expect(second.session_id).toBe(py.stdout.trim())
  })

  it("a task without a repo gets a plain directory", async () => {
    const s = sandbox()
    await s.hub(["task", "create", "--title", "no repo"])
    expect((await s.hub(["dispatch"])).code).toBe(0)
    const task = await taskJson(s, "1")
    expect(task.workspace).toBe(path.join(s.hubHome, "workspaces", "TASK-0001"))
    expect(fs.statSync(task.workspace).isDirectory()).toBe(true)
  })

  it("the bare repo missing → failed naming the worktree step, no window", async () => {
    const s = sandbox()
    await s.hub(["task", "create", "--title", "t", "--repo", "acme/missing"])
    const r = await s.hub(["dispatch"])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(r.stderr).toMatch(/^hub: TASK-0001 failed at worktree: .*acme\/missing/)
    const task = await taskJson(s, "1")
    expect(task.status).toBe("failed")
    expect(task.error).toMatch(/^worktree: /)
    expect(windows(s)).toEqual([])
    expect((await events(s, "1")).at(-1)).toMatchObject({ from: "in-progress", to: "failed", actor: "dispatcher" })
  })

  it("tmux failing on new-window → failed, the fresh worktree and branch removed, no window", async () => {
    const s = sandbox()
    const origin = await withRepo(s)
    const tmux = realBinary("tmux")
    const shims = writeShim(path.join(s.dir, "shims"), "tmux", `for a in "$@"; do [ "$a" = new-window ] && { echo "fatal: create window failed" >&2; exit 1; }; done\nexec ${tmux} "$@"`)
    await s.hub(["task", "create", "--title", "t", "--repo", "acme/widget"])
    const r = await s.hub(["dispatch"], { PATH: `${shims}:${process.env.PATH}` })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^hub: TASK-0001 failed at window: /)
    const task = await taskJson(s, "1")
    expect(task.status).toBe("failed")
    expect(task.error).toMatch(/^window: tmux new-window: fatal: create window failed/)
    expect(fs.existsSync(path.join(s.hubHome, "workspaces", "TASK-0001"))).toBe(false)
    const bare = path.join(s.hubHome, "repos", "acme", "widget.git")
    expect(git(bare, "branch", "--list", "agent/*").stdout.trim()).toBe("")
    expect(git(bare, "worktree", "list").stdout.trim().split("\n")).toHaveLength(1)
    expect(windows(s)).toEqual([])
    void origin
  })

  it("hostile titles and descriptions are inert text", async () => {
    const s = sandbox()
    const canary = path.join(s.dir, "pwned")
    const hostile = [
      `$(touch ${canary})`,
      `'; touch ${canary} #`,
      `\`touch ${canary}\``,
      `#(touch ${canary})`,
      `x;`,
      `"; touch ${canary}; echo "`
    ]
    for (const title of hostile) {
      expect((await s.hub(["task", "create", "--title", title, "--description", `${title}\n${title}`])).code).toBe(0)
    }
    const r = await s.hub(["dispatch"], { HUB_DISPATCH_CAP: String(hostile.length), HUB_AGENT_COMMAND: RECORDING_AGENT })
    expect(r.code, r.stderr).toBe(0)
    expect(await waitFor(() => hostile.every((_, i) => fs.existsSync(path.join(s.hubHome, "runs", `TASK-000${i + 1}`, "1", "env"))))).toBe(true)
    for (const [i, title] of hostile.entries()) {
      const env = fs.readFileSync(path.join(s.hubHome, "runs", `TASK-000${i + 1}`, "1", "env"), "utf8")
      expect(env).toContain(`HUB_TASK_PROMPT=Task TASK-000${i + 1} (implement): ${title}\n`)
    }
    expect(fs.existsSync(canary)).toBe(false)
    expect(windows(s)).toHaveLength(hostile.length)
  })

  it("a prompt larger than tmux's command line still reaches the agent whole", async () => {
    const s = sandbox()
    const description = "lorem ipsum ".repeat(4000)
    await s.hub(["task", "create", "--title", "big", "--description", description])
    expect((await s.hub(["dispatch"], { HUB_AGENT_COMMAND: "printf %s \"$HUB_TASK_PROMPT\" > \"$HUB_RUN_DIR/seen\"; sleep 600" })).code).toBe(0)
    const seen = path.join(s.hubHome, "runs", "TASK-0001", "1", "seen")
    expect(await waitFor(() => fs.existsSync(seen) && fs.statSync(seen).size > 0)).toBe(true)
    expect(fs.readFileSync(seen, "utf8")).toContain(description.trim())
  })

  it("the default agent is Claude Code, pre-trusted in ~/.claude.json with the other keys kept", async () => {
    const s = sandbox()
    const claudeArgs = path.join(s.dir, "claude-args")
    const shims = writeShim(path.join(s.dir, "bin"), "claude", `for a in "$@"; do printf '%s\\n--\\n' "$a"; done > ${claudeArgs}\nsleep 600`)
    fs.writeFileSync(path.join(s.home, ".claude.json"), JSON.stringify({ theme: "dark", projects: { "/elsewhere": { x: 1 } } }))
    await withRepo(s)
    await s.hub(["task", "create", "--title", "t", "--repo", "acme/widget"])
    const env: NodeJS.ProcessEnv = { ...s.env, PATH: `${shims}:${process.env.PATH}` }
    delete env.HUB_AGENT_COMMAND
    const r = spawnSync(process.execPath, [BIN, "dispatch"], { env, encoding: "utf8" })
    expect(r.status, r.stderr).toBe(0)
    const task = await taskJson(s, "1")
    const trust = JSON.parse(fs.readFileSync(path.join(s.home, ".claude.json"), "utf8"))
    expect(trust.theme).toBe("dark")
    expect(trust.projects["/elsewhere"]).toEqual({ x: 1 })
    expect(trust.projects[task.workspace].hasTrustDialogAccepted).toBe(true)
    // And its bare clone, the key Claude Code's checks of project settings and MCP servers use.
    const clones = Object.keys(trust.projects).filter((key) => key.startsWith(path.join(s.hubHome, "repos") + path.sep))
    expect(clones).toEqual([path.join(s.hubHome, "repos", "acme", "widget.git")])
    expect(trust.projects[clones[0]!]).toEqual({ hasTrustDialogAccepted: true })
    expect(await waitFor(() => fs.existsSync(claudeArgs) && fs.readFileSync(claudeArgs, "utf8").includes("--append-system-prompt"))).toBe(true)
    const args = fs.readFileSync(claudeArgs, "utf8").split("\n--\n")
    const settingsFile = path.join(s.hubHome, "runs", "TASK-0001", "1", "settings.json")
    expect(args.slice(0, 9)).toEqual([
      "--session-id", task.session_id, "--settings", settingsFile, "--permission-mode", permissionModeFor(process.getuid?.(), env), "--model", "sonnet", "--append-system-prompt"
    ])
    expect(args[10]).toMatch(/^Task TASK-0001 \(implement\): t/)
    // The attempt's settings: hub's hooks, outside the worktree; nothing in the worktree changed.
    const settings = JSON.parse(fs.readFileSync(settingsFile, "utf8"))
    expect(Object.keys(settings.hooks)).toEqual(expect.arrayContaining(["SessionStart", "PreToolUse", "PermissionRequest", "Notification", "Stop", "StopFailure", "SessionEnd"]))
    expect(settings.hooks.Stop[0].hooks[0].command).toMatch(/\/hub' agent hook$/)
    expect(fs.existsSync(path.join(task.workspace, ".claude"))).toBe(false)
  })

  it("an agent command that is not on PATH stops dispatch before any claim", async () => {
    const s = sandbox()
    await s.hub(["task", "create", "--title", "t"])
    const r = await s.hub(["dispatch"], { HUB_AGENT_COMMAND: "no-such-agent-xyz --go" })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^hub: .*no-such-agent-xyz/)
    expect((await taskJson(s, "1")).status).toBe("ready")
    expect((await taskJson(s, "1")).attempt).toBe(0)
  })

  it("stops at the cap and reports nothing to do when nothing is ready", async () => {
    const s = sandbox()
    for (let i = 0; i < 3; i++) await s.hub(["task", "create", "--title", `t${i}`])
    expect((await s.hub(["dispatch"], { HUB_DISPATCH_CAP: "2" })).code).toBe(0)
    expect(JSON.parse((await s.hub(["task", "list", "--status", "in-progress", "--json"])).stdout)).toHaveLength(2)
    const again = await s.hub(["dispatch", "--json"], { HUB_DISPATCH_CAP: "2" })
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout)).toEqual({ started: [], failed: null })
  })

  it("takes the highest priority first, then the oldest, and a dependent only once its dependency is done", async () => {
    const s = sandbox()
    const make = async (title: string, ...args: Array<string>) => (await s.hub(["task", "create", "--title", title, ...args])).stdout.trim()
    const base = await make("base")
    const dependent = await make("dependent", "--after", base, "--priority", "high")
    const low = await make("low", "--priority", "low")
    const normal = await make("normal")
    const doomed = await make("doomed")
    const afterDoomed = await make("after doomed", "--after", doomed, "--priority", "high")
    const cap = { HUB_DISPATCH_CAP: "4" }
    // The two high ones wait; then the normal ones, oldest first; then the low one.
    const first = await s.hub(["dispatch", "--json"], cap)
    expect(first.code, first.stderr).toBe(0)
    expect(JSON.parse(first.stdout).started.map((t: { id: string }) => t.id)).toEqual([base, normal, doomed, low])
    for (const id of [dependent, afterDoomed]) expect((await taskJson(s, id)).status).toBe("ready")
    expect(windows(s).map((w) => w.split(" ")[0]).sort()).toEqual([base, normal, doomed, low].sort())

    // The base is done, the doomed one failed: only the base's dependent may start now.
    expect((await s.hub(["task", "report", base, "--status", "done"])).code).toBe(0)
    expect((await s.hub(["task", "report", doomed, "--status", "failed", "--reason", "broke"])).code).toBe(0)
    const second = await s.hub(["dispatch", "--json"], cap)
    expect(second.code, second.stderr).toBe(0)
    expect(JSON.parse(second.stdout).started.map((t: { id: string }) => t.id)).toEqual([dependent])
    expect(await taskJson(s, dependent)).toMatchObject({ status: "in-progress", attempt: 1 })
    // Its claim came after its dependency's done, in the history of each.
    const doneAt = (await events(s, base)).find((e) => e.to === "done").id
    expect((await events(s, dependent)).find((e) => e.reason === "claimed").id).toBeGreaterThan(doneAt)

    expect(await taskJson(s, afterDoomed)).toMatchObject({ status: "ready", attempt: 0 })
    const status = (await s.hub(["status"])).stdout
    expect(status.split("\n").find((l) => l.startsWith(afterDoomed))).toMatch(new RegExp(`^${afterDoomed}\\s+ready, waiting on ${doomed} \\(failed\\)`))
    expect(JSON.parse((await s.hub(["dispatch", "--json"], cap)).stdout)).toEqual({ started: [], failed: null })
  })

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} to a dispatch paused inside a slow git → ready, no window, no fresh worktree, exit 130`, async () => {
      const s = sandbox()
      await withRepo(s)
      const marker = path.join(s.dir, "git-paused")
      const shims = writeShim(
        path.join(s.dir, "shims"),
        "git",
        `for a in "$@"; do [ "$a" = worktree ] && [ ! -e ${marker} ] && { touch ${marker}; sleep 30; }; done\nexec ${realBinary("git")} "$@"`
      )
      await s.hub(["task", "create", "--title", "t", "--repo", "acme/widget"])
      const child = spawn(process.execPath, [BIN, "dispatch"], { env: { ...s.env, PATH: `${shims}:${process.env.PATH}` }, stdio: ["ignore", "pipe", "pipe"] })
      let stderr = ""
      child.stderr.on("data", (d) => (stderr += d))
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      expect(await waitFor(() => fs.existsSync(marker), 20_000)).toBe(true)
      expect((await taskJson(s, "1")).status).toBe("in-progress")
      child.kill(signal)
      // A second signal while finalizers run must not cut them short.
      setTimeout(() => child.kill(signal), 20)
      const code = await exited
      expect(code, stderr).toBe(130)
      const task = await taskJson(s, "1")
      expect(task.status).toBe("ready")
      expect((await events(s, "1")).at(-1)).toMatchObject({ from: "in-progress", to: "ready", reason: "dispatch interrupted" })
      expect(fs.existsSync(path.join(s.hubHome, "workspaces", "TASK-0001"))).toBe(false)
      expect(windows(s)).toEqual([])
      const bare = path.join(s.hubHome, "repos", "acme", "widget.git")
      expect(git(bare, "branch", "--list", "agent/*").stdout.trim()).toBe("")
      // And the next dispatch (no shim) just works.
      expect((await s.hub(["dispatch"])).code).toBe(0)
      expect((await taskJson(s, "1")).status).toBe("in-progress")
    })
  }
})
