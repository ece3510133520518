/**
 * HUB_AGENT presets through the built bin, with stand-in executables on PATH: the command each
 * runs, the preflight that refuses a missing program, and Codex's `notify` reaching
 * `hub agent hook`. (Claude Code's preset is the default: test/agent/hooks.integration.test.ts.)
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { trackedWorld, waitForStatus } from "../support/hubProcess.js"
import { realBinary, type Sandbox, waitFor, writeShim } from "../support/sandbox.js"

const world = trackedWorld()

/**
 * A stand-in agent `name`: it writes its argv (JSON) and the variables hub gave it to a file,
 * runs the program Codex's `-c notify=[…]` names (as Codex does after a turn), then waits.
 */
const standIn = (s: Sandbox, name: string): { readonly dir: string; readonly record: string } => {
  const dir = path.join(s.dir, "agents")
  const record = path.join(s.dir, `${name}.json`)
  const script = path.join(dir, `${name}.js`)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(script, [
    "const fs = require('node:fs'); const cp = require('node:child_process')",
    "const argv = process.argv.slice(2)",
    `fs.writeFileSync(${JSON.stringify(record)}, JSON.stringify({ argv, permission: process.env.OPENCODE_PERMISSION ?? null, resume: process.env.HUB_RESUME_SESSION_ID ?? null }))`,
    "const c = argv.indexOf('-c')",
    "if (c >= 0 && argv[c + 1].startsWith('notify=')) {",
    "  const [program, ...args] = JSON.parse(argv[c + 1].slice('notify='.length))",
    "  const turn = { type: 'agent-turn-complete', 'thread-id': 't1', 'turn-id': '1', cwd: process.cwd(), 'last-assistant-message': 'done' }",
    "  cp.spawnSync(program, [...args, JSON.stringify(turn)], { stdio: 'inherit' })",
    "}",
    "setInterval(() => {}, 1000)"
  ].join("\n"))
  writeShim(dir, name, `exec '${process.execPath}' '${script}' "$@"`)
  return { dir, record }
}

/** A PATH with git, tmux and sh, and what `dirs` hold: no agent program unless a stand-in's. */
const barePath = (s: Sandbox, ...dirs: Array<string>) => {
  const tools = path.join(s.dir, "tools")
  fs.mkdirSync(tools, { recursive: true })
  for (const tool of ["git", "tmux", "sh", "cat", "mv", "sleep", "printf", "dirname"]) {
    if (!fs.existsSync(path.join(tools, tool))) fs.symlinkSync(realBinary(tool), path.join(tools, tool))
  }
  // The hub an agent calls (dist/bin/hub) runs `node`.
  if (!fs.existsSync(path.join(tools, "node"))) fs.symlinkSync(process.execPath, path.join(tools, "node"))
  return [...dirs, tools].join(":")
}

describe("HUB_AGENT presets", { timeout: 60_000 }, () => {
  it.each(["claude", "codex", "gemini", "opencode"])("%s: a missing program fails the preflight, and nothing is claimed", async (name) => {
    const s = world.sandbox(`preset-missing-${name}`)
    await s.hub(["task", "create", "--title", "waits"])
    const result = await s.hub(["dispatch"], { HUB_AGENT: name, HUB_AGENT_COMMAND: undefined, PATH: barePath(s) })
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`hub: the agent command '${name}' is not on PATH (set HUB_AGENT or HUB_AGENT_COMMAND)\n`)
    expect(JSON.parse((await s.hub(["task", "show", "1", "--json"])).stdout).status).toBe("ready")
  })

  it("an unknown HUB_AGENT is one line and exit 1", async () => {
    const s = world.sandbox("preset-unknown")
    const result = await s.hub(["dispatch"], { HUB_AGENT: "cursor" })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("HUB_AGENT must be one of claude, codex, gemini, opencode (got 'cursor')")
    expect(result.stderr.trim().split("\n")).toHaveLength(1)
  })

  it("codex: runs without approvals, both prompts as its one prompt, and its notify reaches hub agent hook as a finished turn", async () => {
    const s = world.sandbox("preset-codex")
    const { dir, record } = standIn(s, "codex")
    const env = { HUB_AGENT: "codex", HUB_AGENT_COMMAND: undefined, PATH: barePath(s, dir) }
    const pwned = path.join(s.dir, "pwned")
    await s.hub(["task", "create", "--title", `$(touch ${pwned}) codex task`])
    expect((await s.hub(["dispatch"], env)).code).toBe(0)
    expect(await waitFor(() => fs.existsSync(record), 20_000)).toBe(true)
    const seen = JSON.parse(fs.readFileSync(record, "utf8")) as { argv: Array<string> }
    expect(seen.argv[0]).toBe("--dangerously-bypass-approvals-and-sandbox")
    expect(seen.argv[1]).toBe("-c")
    expect(JSON.parse(seen.argv[2]!.slice("notify=".length))).toEqual([expect.stringMatching(/\/hub$/), "agent", "hook"])
    expect(seen.argv[3]).toMatch(/^You are a coding agent dispatched by hub[\s\S]*\n\nTask TASK-0001 \(implement\): \$\(touch /)
    expect(seen.argv[3]).toContain(`$(touch ${pwned}) codex task`)
    expect(fs.existsSync(pwned)).toBe(false)
    // Claude Code's preparation is for Claude Code alone.
    expect(fs.existsSync(path.join(s.hubHome, "runs", "TASK-0001", "1", "settings.json"))).toBe(false)
    expect(fs.existsSync(path.join(s.home, ".claude.json"))).toBe(false)
    expect(await waitFor(() => fs.existsSync(path.join(s.hubHome, "runs", "TASK-0001", "1", "agent-signals")), 20_000)).toBe(true)
    expect((await s.hub(["reconcile"], env)).code).toBe(0)
    const shown = JSON.parse((await s.hub(["task", "show", "1", "--json"], env)).stdout)
    expect(shown).toMatchObject({ status: "in-progress", agent_state: "idle", agent_state_reason: "turn ended" })
  })

  it("gemini and opencode: their commands, opencode's permissions in its environment", async () => {
    for (const name of ["gemini", "opencode"] as const) {
      const s = world.sandbox(`preset-${name}`)
      const { dir, record } = standIn(s, name)
      await s.hub(["task", "create", "--title", `${name} task`])
      expect((await s.hub(["dispatch"], { HUB_AGENT: name, HUB_AGENT_COMMAND: undefined, PATH: barePath(s, dir) })).code).toBe(0)
      expect(await waitFor(() => fs.existsSync(record), 20_000)).toBe(true)
      const seen = JSON.parse(fs.readFileSync(record, "utf8")) as { argv: Array<string>; permission: string | null }
      if (name === "gemini") {
        expect(seen.argv.slice(0, 3)).toEqual(["--approval-mode", "yolo", "--prompt-interactive"])
        expect(seen.permission).toBeNull()
      } else {
        expect(seen.argv[0]).toBe("--prompt")
        expect(JSON.parse(seen.permission!)).toEqual({ edit: "allow", bash: "allow", webfetch: "allow" })
      }
      expect(seen.argv.at(-1)).toContain(`Task TASK-0001 (implement): ${name} task`)
      await waitForStatus(s, "TASK-0001", "in-progress")
    }
  })

  it("HUB_AGENT_COMMAND wins over the preset's command; HUB_AGENT=claude still prepares Claude Code", async () => {
    const s = world.sandbox("preset-command-wins")
    const marker = path.join(s.dir, "ran")
    await s.hub(["task", "create", "--title", "own command"])
    const env = { HUB_AGENT: "claude", HUB_AGENT_COMMAND: `touch '${marker}'; sleep 600` }
    expect((await s.hub(["dispatch"], env)).code).toBe(0)
    expect(await waitFor(() => fs.existsSync(marker), 20_000)).toBe(true)
    expect(fs.existsSync(path.join(s.hubHome, "runs", "TASK-0001", "1", "settings.json"))).toBe(true)
    expect(fs.readFileSync(path.join(s.home, ".claude.json"), "utf8")).toContain("hasTrustDialogAccepted")
  })
})
