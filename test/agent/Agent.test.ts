/**
 * The agent service's files, with the process umask at 000: the run folder of an attempt
 * (prompts, the exit status its window records, `void`) is for the owner only, and
 * ~/.claude.json keeps the mode (and the place) its owner gave it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Agent, AgentLive, permissionModeFor, runDirFor, WINDOW_COMMAND } from "../../src/agent/Agent.js"
import { HubConfigFrom } from "../../src/config.js"
import { modeOf, withUmask } from "../support/files.js"
import { scopedSandbox } from "../store/helpers.js"
import type { Sandbox } from "../support/sandbox.js"
import { aTask } from "../support/tasks.js"

const task = aTask({ title: "Fix the login page", status: "in-progress", description: "secret details", attempt: 2 })

/** The agent of a sandbox: Claude Code (the default command) unless `command` is given. */
const agentIn = (sandbox: Sandbox, command?: string) =>
  Agent.pipe(
    Effect.provide(AgentLive),
    Effect.provide(HubConfigFrom({
      home: sandbox.hubHome,
      userHome: sandbox.home,
      agentCommand: command === undefined ? Option.none() : Option.some(command)
    }))
  )

/** A sandbox with the umask at 000 for the test, and a workspace folder. */
const world = Effect.gen(function* () {
  const sandbox = yield* scopedSandbox("agent")
  yield* withUmask(0o000)
  const workspace = path.join(sandbox.dir, "workspace")
  fs.mkdirSync(workspace)
  return { sandbox, workspace }
})

describe("the run folder", () => {
  it.scoped("is 0700 down from a new HUB_HOME, its prompts 0600", () =>
    Effect.gen(function* () {
      const { sandbox, workspace } = yield* world
      const agent = yield* agentIn(sandbox, "sleep 600")
      const launch = yield* agent.launch(task, workspace)
      const runDir = runDirFor(sandbox.hubHome, task.id, task.attempt)
      expect(launch.runDir).toBe(runDir)
      for (const dir of [sandbox.hubHome, path.join(sandbox.hubHome, "runs"), path.dirname(runDir), runDir]) {
        expect(modeOf(dir), dir).toBe(0o700)
      }
      expect(fs.readdirSync(runDir).sort()).toEqual(["session", "system-prompt", "task-prompt"])
      for (const file of fs.readdirSync(runDir)) expect(modeOf(path.join(runDir, file)), file).toBe(0o600)
      expect(fs.readFileSync(path.join(runDir, "task-prompt"), "utf8")).toContain("secret details")
    }))

  it.scoped("prompts written again over looser files of an older hub are 0600 again", () =>
    Effect.gen(function* () {
      const { sandbox, workspace } = yield* world
      const runDir = runDirFor(sandbox.hubHome, task.id, task.attempt)
      fs.mkdirSync(runDir, { recursive: true })
      fs.writeFileSync(path.join(runDir, "task-prompt"), "old", { mode: 0o644 })
      const agent = yield* agentIn(sandbox, "sleep 600")
      yield* agent.launch(task, workspace)
      expect(modeOf(path.join(runDir, "task-prompt"))).toBe(0o600)
      expect(fs.readFileSync(path.join(runDir, "task-prompt"), "utf8")).toContain("secret details")
    }))

  it.scoped("the exit status the window records is 0600; the agent's own umask is left alone", () =>
    Effect.gen(function* () {
      const { sandbox, workspace } = yield* world
      const agent = yield* agentIn(sandbox, "touch \"$HUB_WORKSPACE/made-by-agent\"; exit 3")
      const launch = yield* agent.launch(task, workspace)
      // The window's command, as tmux runs it, in a shell that inherits the umask 000.
      const r = spawnSync("sh", ["-c", WINDOW_COMMAND], { env: { ...launch.env }, encoding: "utf8" })
      expect(r.status, r.stderr).toBe(3)
      const exit = path.join(launch.runDir, "exit")
      expect(fs.readFileSync(exit, "utf8").trim()).toBe("3")
      expect(modeOf(exit)).toBe(0o600)
      expect(modeOf(path.join(workspace, "made-by-agent"))).toBe(0o666)
      expect(yield* agent.exitStatus(task.id, task.attempt)).toEqual(Option.some(3))
    }))

  it.scoped("an attempt called off: its `void` marker is 0600 in a 0700 folder", () =>
    Effect.gen(function* () {
      const { sandbox } = yield* world
      const agent = yield* agentIn(sandbox, "sleep 600")
      yield* agent.voidAttempt(task.id, 5)
      const runDir = runDirFor(sandbox.hubHome, task.id, 5)
      expect(modeOf(runDir)).toBe(0o700)
      expect(modeOf(path.join(runDir, "void"))).toBe(0o600)
    }))
})

describe("permissionModeFor", () => {
  it("bypasses permissions, except as root outside a sandbox Claude Code recognises", () => {
    expect(permissionModeFor(1000, {})).toBe("bypassPermissions")
    expect(permissionModeFor(undefined, {})).toBe("bypassPermissions")
    expect(permissionModeFor(0, {})).toBe("default")
    expect(permissionModeFor(0, { IS_SANDBOX: "yes" })).toBe("default")
    expect(permissionModeFor(0, { IS_SANDBOX: "1" })).toBe("bypassPermissions")
    expect(permissionModeFor(0, { CLAUDE_CODE_BUBBLEWRAP: "1" })).toBe("bypassPermissions")
  })
})

describe("~/.claude.json", () => {
  const trustFile = (sandbox: Sandbox) => path.join(sandbox.home, ".claude.json")
  const projects = (file: string) => (JSON.parse(fs.readFileSync(file, "utf8")) as { projects: Record<string, unknown> }).projects

  it.scoped("a new one is 0600", () =>
    Effect.gen(function* () {
      const { sandbox, workspace } = yield* world
      yield* (yield* agentIn(sandbox)).trust(workspace)
      expect(modeOf(trustFile(sandbox))).toBe(0o600)
      expect(projects(trustFile(sandbox))[workspace]).toEqual({ hasTrustDialogAccepted: true })
    }))

  it.scoped("an existing one keeps its mode and its other keys", () =>
    Effect.gen(function* () {
      const { sandbox, workspace } = yield* world
      const file = trustFile(sandbox)
      fs.writeFileSync(file, JSON.stringify({ theme: "dark", projects: { "/elsewhere": { x: 1 } } }))
      fs.chmodSync(file, 0o640)
      yield* (yield* agentIn(sandbox)).trust(workspace)
      expect(modeOf(file)).toBe(0o640)
      expect(JSON.parse(fs.readFileSync(file, "utf8")).theme).toBe("dark")
      expect(projects(file)).toEqual({ "/elsewhere": { x: 1 }, [workspace]: { hasTrustDialogAccepted: true } })
      // Nothing left beside it.
      expect(fs.readdirSync(sandbox.home)).toEqual([".claude.json"])
    }))

  it.scoped("a symlink stays a symlink: the file it points to is written, and keeps its mode", () =>
    Effect.gen(function* () {
      const { sandbox, workspace } = yield* world
      const dotfiles = path.join(sandbox.dir, "dotfiles")
      fs.mkdirSync(dotfiles)
      const target = path.join(dotfiles, "claude.json")
      fs.writeFileSync(target, JSON.stringify({ theme: "light" }))
      fs.chmodSync(target, 0o644)
      fs.symlinkSync(target, trustFile(sandbox))
      yield* (yield* agentIn(sandbox)).trust(workspace)
      expect(fs.lstatSync(trustFile(sandbox)).isSymbolicLink()).toBe(true)
      expect(modeOf(target)).toBe(0o644)
      expect(projects(target)[workspace]).toEqual({ hasTrustDialogAccepted: true })
      expect(fs.readdirSync(dotfiles)).toEqual(["claude.json"])
    }))
})
