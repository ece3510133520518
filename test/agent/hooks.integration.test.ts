/**
 * The default agent's hooks end to end: hub dispatches the stand-in `claude` (test/support/bin),
 * which reads the attempt's --settings and runs hub's hooks as Claude Code does; each reaches
 * `hub agent hook`, which records its signal in the attempt's run folder.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { SIGNALS_FILE } from "../../src/agent/hook.js"
import { FAKE_CLAUDE_BIN, handlerRuns, waitForRecord, writeScript } from "../support/fakeClaude.js"
import { trackedWorld } from "../support/hubProcess.js"
import { waitFor } from "../support/sandbox.js"

const world = trackedWorld()

describe("the default agent's hooks", () => {
  it("reach hub agent hook from the agent's window: each exits 0, prints nothing, and leaves its signal with the attempt", async () => {
    const s = world.sandbox("hooks")
    const log = path.join(s.dir, "claude.log")
    const release = path.join(s.dir, "release")
    const script = writeScript(s.dir, [
      { event: "SessionStart", source: "startup" },
      { event: "UserPromptSubmit", prompt: "go" },
      { tool: "Bash", input: { command: "ls" } },
      { event: "Stop" },
      { waitFor: release, timeout: 60 },
      { exit: 0 }
    ])
    await s.hub(["task", "create", "--title", "hooked"])
    const env = {
      PATH: `${FAKE_CLAUDE_BIN}:${process.env.PATH}`,
      HUB_AGENT_COMMAND: undefined,
      HUB_FAKE_CLAUDE_SCRIPT: script,
      HUB_FAKE_CLAUDE_LOG: log
    }
    const dispatched = await s.hub(["dispatch"], env)
    expect(dispatched.code, dispatched.stderr).toBe(0)
    await waitForRecord(log, (r) => r.kind === "handler" && r.event === "Stop")
    const signals = path.join(s.hubHome, "runs", "TASK-0001", "1", SIGNALS_FILE)
    const tags = () => fs.existsSync(signals) ? fs.readFileSync(signals, "utf8").trim().split("\n").map((l) => JSON.parse(l)._tag) : []
    // The background (async) hooks of the tool call may land after Stop's line.
    expect(await waitFor(() => tags().length >= 5)).toBe(true)
    expect(tags()).toEqual(expect.arrayContaining(["started", "busy", "busy", "busy", "idle"]))
    const runs = handlerRuns(log)
    expect(runs.length).toBeGreaterThanOrEqual(5)
    for (const run of runs) expect({ event: run.event, exitCode: run.exitCode, stdout: run.stdout }).toEqual({ event: run.event, exitCode: 0, stdout: "" })
    // Let it end by itself (its SessionEnd hook writes into HUB_HOME) before the sandbox goes.
    fs.writeFileSync(release, "")
    await waitForRecord(log, (r) => r.kind === "exit")
    expect(await waitFor(() => tags().includes("ended"))).toBe(true)
  })
})
