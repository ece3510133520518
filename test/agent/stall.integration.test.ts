/**
 * The fallback for agents without hooks, end to end: an agent that never calls `hub agent hook`
 * is judged by its window's output alone (tmux's window_activity, read by the same probe that
 * checks the pane is alive). Output keeps it in progress; silence for HUB_STALL_AFTER blocks it
 * as stalled; output again makes it in progress again.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { showTask, taskEvents, trackedWorld } from "../support/hubProcess.js"
import { waitFor } from "../support/sandbox.js"

const world = trackedWorld()

/** Polls an asynchronous check (a hub command) until it holds or `ms` pass. */
const until = async (check: () => Promise<boolean>, ms = 30_000): Promise<boolean> => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 200))
  }
  return check()
}

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").length - 1 : 0)

describe("an agent without hooks", () => {
  it("is in progress while it prints, stalled and blocked after HUB_STALL_AFTER of silence, in progress again when it prints", async () => {
    const s = world.sandbox("stall")
    const [ticks, quiet, again] = ["ticks", "quiet", "again"].map((f) => path.join(s.dir, f)) as [string, string, string]
    // Prints (and counts) every 0.2 s until `quiet` exists, is silent until `again`, then prints on.
    const agent = path.join(s.dir, "agent.sh")
    fs.writeFileSync(agent, [
      "#!/bin/sh",
      `while [ ! -e '${quiet}' ]; do echo working; echo >> '${ticks}'; sleep 0.2; done`,
      `while [ ! -e '${again}' ]; do sleep 0.1; done`,
      "while :; do echo working again; sleep 0.2; done",
      ""
    ].join("\n"))
    fs.chmodSync(agent, 0o755)
    const env = { HUB_AGENT_COMMAND: agent, HUB_STALL_AFTER: "3s" }
    const reconcile = async () => expect((await s.hub(["reconcile"], env)).code).toBe(0)

    await s.hub(["task", "create", "--title", "no hooks here"])
    expect((await s.hub(["dispatch"], env)).code).toBe(0)

    // Printing for twice the stall time: output is activity, so it is not stalled.
    expect(await waitFor(() => lines(ticks) >= 30, 60_000)).toBe(true)
    await reconcile()
    expect(await showTask(s, "TASK-0001")).toMatchObject({ status: "in-progress", agent_state: "starting" })

    fs.writeFileSync(quiet, "")
    const blocked = await until(async () => {
      await reconcile()
      return (await showTask(s, "TASK-0001")).status === "blocked"
    })
    expect(blocked).toBe(true)
    expect(await showTask(s, "TASK-0001")).toMatchObject({
      status: "blocked",
      agent_state: "stalled",
      agent_state_reason: "no hook and no output for 3s"
    })
    // A blocked task keeps its live window: a person may attach and look.
    expect((await s.hub(["verify"], env)).code).toBe(0)

    fs.writeFileSync(again, "")
    const resumed = await until(async () => {
      await reconcile()
      return (await showTask(s, "TASK-0001")).status === "in-progress"
    })
    expect(resumed).toBe(true)
    expect(await showTask(s, "TASK-0001")).toMatchObject({ status: "in-progress", agent_state: "busy", agent_state_reason: "new output" })

    const events = await taskEvents(s, "TASK-0001")
    expect(events.slice(-2).map((e) => [e.from, e.to, e.actor, e.reason])).toEqual([
      ["in-progress", "blocked", "reconciler", "agent stalled: no activity for 3s"],
      ["blocked", "in-progress", "reconciler", "agent is working again (new output)"]
    ])
  })
})
