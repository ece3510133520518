/**
 * The default agent's hooks end to end: hub dispatches the stand-in `claude` (test/support/bin),
 * which reads the attempt's --settings and runs hub's hooks as Claude Code does; each reaches
 * `hub agent hook`, which records its signal in the attempt's run folder.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { SIGNALS_FILE } from "../../src/agent/hook.js"
import { handlerRuns, waitForRecord, withStandIn, writeScript } from "../support/fakeClaude.js"
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
    const env = withStandIn(script, log)
    const dispatched = await s.hub(["dispatch"], env)
    expect(dispatched.code, dispatched.stderr).toBe(0)
    await waitForRecord(log, (r) => r.kind === "handler" && r.event === "Stop")
    const signals = path.join(s.hubHome, "runs", "TASK-0001", "1", SIGNALS_FILE)
    const tags = () => fs.existsSync(signals) ? fs.readFileSync(signals, "utf8").trim().split("\n").map((l) => JSON.parse(l)._tag) : []
    // The background (async) hooks of the tool call may land after Stop's line.
    expect(await waitFor(() => tags().length >= 5)).toBe(true)
    expect(tags()).toEqual(expect.arrayContaining(["started", "busy", "busy", "busy", "idle"]))
    // The stand-in logs a background handler when it has ended, maybe after its signal landed.
    expect(await waitFor(() => handlerRuns(log).length >= 5)).toBe(true)
    const runs = handlerRuns(log)
    for (const run of runs) expect({ event: run.event, exitCode: run.exitCode, stdout: run.stdout }).toEqual({ event: run.event, exitCode: 0, stdout: "" })
    // Let it end by itself (its SessionEnd hook writes into HUB_HOME) before the sandbox goes.
    fs.writeFileSync(release, "")
    await waitForRecord(log, (r) => r.kind === "exit")
    expect(await waitFor(() => tags().includes("ended"))).toBe(true)
  })
})

describe("agent state and its policies, end to end", () => {
  it("waiting for permission blocks the task; working again unblocks it; idle without reporting puts it in review", async () => {
    const s = world.sandbox("policies")
    const log = path.join(s.dir, "claude.log")
    const [answered, finish, leave] = ["answered", "finish", "leave"].map((f) => path.join(s.dir, f))
    const script = writeScript(s.dir, [
      { event: "SessionStart", source: "startup" },
      { tool: "Bash", input: { command: "ls" } },
      { permission: "Bash", message: "Claude needs your permission to use Bash" },
      { waitFor: answered!, timeout: 60 },
      { tool: "Bash", input: { command: "make" } },
      { waitFor: finish!, timeout: 60 },
      { event: "Stop" },
      { waitFor: leave!, timeout: 60 },
      { exit: 0 }
    ])
    await s.hub(["task", "create", "--title", "needs a person"])
    const env = {
      ...withStandIn(script, log),
      // Idle at all is idle too long: the policy, not the clock, is what this test is about.
      HUB_IDLE_AFTER: "1ms"
    }
    expect((await s.hub(["dispatch"], env)).code).toBe(0)
    const show = async () => JSON.parse((await s.hub(["task", "show", "1", "--json"], env)).stdout)
    const reconcile = async () => expect((await s.hub(["reconcile"], env)).code).toBe(0)
    const handled = (event: string, after = 0) =>
      waitForRecord(log, (r) => r.kind === "handler" && r.event === event && handlerRuns(log, event).length > after)

    await handled("PermissionRequest")
    await reconcile()
    expect(await show()).toMatchObject({
      status: "blocked",
      agent_state: "waiting",
      agent_state_reason: "waiting for permission: Claude needs your permission to use Bash"
    })

    fs.writeFileSync(answered!, "")
    await handled("PostToolUse", 1)
    await reconcile()
    expect(await show()).toMatchObject({ status: "in-progress", agent_state: "busy", agent_state_reason: "using Bash" })

    fs.writeFileSync(finish!, "")
    await handled("Stop")
    await reconcile()
    expect(await show()).toMatchObject({ status: "in-review", agent_state: "idle" })

    const events = JSON.parse((await s.hub(["task", "events", "1", "--json"], env)).stdout) as Array<{ from: string; to: string; actor: string; reason: string }>
    expect(events.slice(-3).map((e) => [e.from, e.to, e.actor, e.reason])).toEqual([
      ["in-progress", "blocked", "reconciler", "agent waiting for permission: Claude needs your permission to use Bash"],
      ["blocked", "in-progress", "reconciler", "agent is working again"],
      ["in-progress", "in-review", "reconciler", "agent idle for 1ms without reporting"]
    ])
    // The window of a task in review stays: a person may attach and answer.
    expect((await s.hub(["verify"], env)).code).toBe(0)
    const status = await s.hub(["status", "--json"], env)
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ id: "TASK-0001", agent_state: "idle" })

    fs.writeFileSync(leave!, "")
    await waitForRecord(log, (r) => r.kind === "exit")
  })
})
