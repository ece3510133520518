/**
 * HUB_HOME is private, through the built bin as a user runs it, with the most permissive umask
 * (000): a new HUB_HOME is 0700, the database 0600, and a dispatch's run folder (prompts, the
 * exit status its window records) is 0700 with 0600 files. An existing HUB_HOME keeps its mode.
 */
import { afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { modeOf } from "../support/files.js"
import { BIN, makeSandbox, type Sandbox, waitFor } from "../support/sandbox.js"
import { ensureBuilt, ok, runProgram } from "./helpers.js"

beforeAll(ensureBuilt, 180_000)

const sandboxes: Array<Sandbox> = []
afterEach(() => {
  for (const s of sandboxes.splice(0)) s.dispose()
})
const sandbox = () => {
  const s = makeSandbox("cli-files")
  sandboxes.push(s)
  return s
}

/** `hub ARGS` in the sandbox, started by a shell whose umask is 000. */
const hubUmask0 = (s: Sandbox, args: ReadonlyArray<string>, vars: NodeJS.ProcessEnv = {}) =>
  runProgram("sh", ["-c", "umask 000; exec \"$@\"", "sh", process.execPath, BIN, ...args], {
    cwd: s.dir,
    env: { ...s.env, ...vars }
  })

describe("HUB_HOME's modes", () => {
  it("a new HUB_HOME is 0700, hub.db 0600", async () => {
    const s = sandbox()
    const home = path.join(s.dir, "deep", "hub")
    ok(await hubUmask0(s, ["task", "create", "--title", "private"], { HUB_HOME: home }))
    expect(modeOf(home)).toBe(0o700)
    expect(modeOf(path.join(home, "hub.db"))).toBe(0o600)
    for (const f of fs.readdirSync(home).filter((f) => f.startsWith("hub.db"))) expect(modeOf(path.join(home, f)), f).toBe(0o600)
  })

  it("an existing HUB_HOME keeps the mode its owner gave it", async () => {
    const s = sandbox()
    fs.mkdirSync(s.hubHome)
    fs.chmodSync(s.hubHome, 0o755)
    ok(await hubUmask0(s, ["task", "create", "--title", "shared home"]))
    expect(modeOf(s.hubHome)).toBe(0o755)
    expect(modeOf(path.join(s.hubHome, "hub.db"))).toBe(0o600)
  })

  it("a dispatch's run folder is 0700, its prompts and the agent's exit status 0600", async () => {
    const s = sandbox()
    ok(await hubUmask0(s, ["task", "create", "--title", "run me"]))
    // The agent leaves a file of its own (with its own umask, which hub leaves alone) and exits.
    const agent = "touch \"$HUB_WORKSPACE/made-by-agent\"; exit 3"
    const r = await hubUmask0(s, ["dispatch"], { HUB_AGENT_COMMAND: agent })
    expect(r.code, r.stderr).toBe(0)
    const runs = path.join(s.hubHome, "runs")
    const runDir = path.join(runs, "TASK-0001", "1")
    expect(await waitFor(() => fs.existsSync(path.join(runDir, "exit")), 15_000)).toBe(true)
    for (const dir of [s.hubHome, runs, path.dirname(runDir), runDir]) expect(modeOf(dir), dir).toBe(0o700)
    expect(fs.readdirSync(runDir).sort()).toEqual(["exit", "session", "system-prompt", "task-prompt"])
    for (const f of fs.readdirSync(runDir)) expect(modeOf(path.join(runDir, f)), f).toBe(0o600)
    expect(fs.readFileSync(path.join(runDir, "exit"), "utf8").trim()).toBe("3")
    expect(modeOf(path.join(s.hubHome, "workspaces", "TASK-0001", "made-by-agent"))).toBe(0o666)
  })
})
