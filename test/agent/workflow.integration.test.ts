/**
 * Issue 13 end to end, through the built bin and the stand-in `claude` (test/support/bin): the
 * tokens its transcript records reach the task (each message once, across reads and attempts),
 * a retried task continues its conversation (`claude --resume`), `retry --fresh` starts over.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { sessionIdFor } from "../../src/agent/session.js"
import { type ClaudeStep, readClaudeLog, waitForRecord, withStandIn, writeScript } from "../support/fakeClaude.js"
import { trackedWorld, waitForStatus } from "../support/hubProcess.js"

const world = trackedWorld()


const usage = (input_tokens: number, output_tokens: number, cache_read_input_tokens = 0, cache_creation_input_tokens = 0) =>
  ({ input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens })

/** One turn: the session starts, streams its messages, ends its turn, waits for `go`, exits 1. */
const turn = (go: string, messages: ReadonlyArray<ClaudeStep>): Array<ClaudeStep> => [
  { event: "SessionStart" },
  { event: "UserPromptSubmit" },
  ...messages,
  { event: "Stop" },
  { waitFor: go, timeout: 60 },
  { exit: 1 }
]

type Start = Extract<ReturnType<typeof readClaudeLog>[number], { kind: "start" }>

describe("token usage and resumed conversations", () => {
  it("counts each message once into the attempt and the task, continues the conversation on retry, and starts over with --fresh", async () => {
    const s = world.sandbox("workflow")
    const log = path.join(s.dir, "claude.log")
    const [go1, go2, go3] = ["go1", "go2", "go3"].map((f) => path.join(s.dir, f)) as [string, string, string]
    // The window's environment is the tmux server's, taken once: the script's path stays, its steps change.
    const script = writeScript(s.dir, turn(go1, [
      { usage: usage(10, 5, 100, 20), id: "msg_1", lines: 3 },
      { usage: usage(3, 7), id: "msg_2" }
    ]))
    const env = withStandIn(script, log)
    const show = async () => JSON.parse((await s.hub(["task", "show", "1", "--json"], env)).stdout)
    const reconcile = async () => expect((await s.hub(["reconcile"], env)).code).toBe(0)
    const starts = () => readClaudeLog(log).filter((r): r is Start => r.kind === "start")

    await s.hub(["task", "create", "--title", "costly"])
    expect((await s.hub(["dispatch"], env)).code).toBe(0)
    await waitForRecord(log, (r) => r.kind === "handler" && r.event === "Stop")
    await reconcile()
    expect((await show()).usage).toEqual(usage(13, 12, 100, 20))
    // Read again from where it stopped: nothing is counted twice.
    await reconcile()
    expect((await show()).usage).toEqual(usage(13, 12, 100, 20))
    const status = JSON.parse((await s.hub(["status", "--json"], env)).stdout)
    expect(status[0]).toMatchObject({ id: "TASK-0001", usage: usage(13, 12, 100, 20) })

    // The agent dies: the task fails, and a retry continues the same conversation.
    fs.writeFileSync(go1, "")
    await waitForRecord(log, (r) => r.kind === "exit")
    await reconcile()
    expect((await show()).status).toBe("failed")
    writeScript(s.dir, turn(go2, [{ usage: usage(1, 2), id: "msg_3" }]))
    expect((await s.hub(["task", "retry", "1"], env)).code).toBe(0)
    expect((await s.hub(["dispatch"], env)).code).toBe(0)
    const firstSession = sessionIdFor("TASK-0001", 1)
    const resumed = await waitForRecord(log, (r) => r.kind === "resume")
    expect(resumed).toMatchObject({ session_id: firstSession, forked: false })
    const second = starts()[1]!
    expect(second.argv.slice(0, 2)).toEqual(["--resume", firstSession])
    expect(second.argv).not.toContain("--session-id")
    expect(second.argv.at(-1)).toMatch(/^hub restarted you on task TASK-0001 \(attempt 2\)/)
    await waitForRecord(log, (r) => r.kind === "handler" && r.event === "Stop" && starts().length === 2 &&
      r.at > second.at)
    await reconcile()
    // The resumed session writes on in the same transcript: attempt 2 reads it whole, and
    // counts only msg_3.
    expect((await show()).usage).toEqual(usage(14, 14, 100, 20))
    const detail = (await s.hub(["task", "show", "1"], env)).stdout
    expect(detail).toContain("tokens:      14 in, 14 out, 100 cache read, 20 cache write")
    expect(detail).toContain(`attempt 1: 13 in, 12 out, 100 cache read, 20 cache write (agent session ${firstSession})`)
    expect(detail).toContain(`attempt 2: 1 in, 2 out, 0 cache read, 0 cache write (continued attempt 1's conversation; agent session ${firstSession})`)

    // --fresh: a new conversation (the worktree stays).
    fs.writeFileSync(go2, "")
    await waitForRecord(log, (r) => r.kind === "exit" && readClaudeLog(log).filter((x) => x.kind === "exit").length === 2)
    await reconcile()
    await waitForStatus(s, "TASK-0001", "failed")
    writeScript(s.dir, turn(go3, [{ usage: usage(1, 1), id: "msg_4" }]))
    expect((await s.hub(["task", "retry", "1", "--fresh"], env)).code).toBe(0)
    expect((await s.hub(["dispatch"], env)).code).toBe(0)
    expect(await waitForRecord(log, () => starts().length === 3)).toBeDefined()
    const third = starts()[2]!
    expect(third.argv.slice(0, 2)).toEqual(["--session-id", sessionIdFor("TASK-0001", 3)])
    expect(third.argv).not.toContain("--resume")
    expect(readClaudeLog(log).filter((r) => r.kind === "resume")).toHaveLength(1)
    fs.writeFileSync(go3, "")
    await waitForRecord(log, (r) => r.kind === "exit" && readClaudeLog(log).filter((x) => x.kind === "exit").length === 3)
  })

  it("starts a new conversation when the one to continue has no transcript any more", async () => {
    const s = world.sandbox("noresume")
    const log = path.join(s.dir, "claude.log")
    const go = path.join(s.dir, "go")
    const script = writeScript(s.dir, turn(go, [{ usage: usage(1, 1), id: "msg_1" }]))
    const env = withStandIn(script, log)
    await s.hub(["task", "create", "--title", "lost transcript"])
    expect((await s.hub(["dispatch"], env)).code).toBe(0)
    await waitForRecord(log, (r) => r.kind === "handler" && r.event === "Stop")
    await s.hub(["reconcile"], env)
    fs.writeFileSync(go, "")
    await waitForRecord(log, (r) => r.kind === "exit")
    await s.hub(["reconcile"], env)
    const first = readClaudeLog(log).find((r): r is Start => r.kind === "start")!
    fs.rmSync(first.transcript_path)
    fs.rmSync(go)
    expect((await s.hub(["task", "retry", "1"], env)).code).toBe(0)
    expect((await s.hub(["dispatch"], env)).code).toBe(0)
    await waitForRecord(log, () => readClaudeLog(log).filter((r) => r.kind === "start").length === 2)
    const second = readClaudeLog(log).filter((r): r is Start => r.kind === "start")[1]!
    expect(second.argv.slice(0, 2)).toEqual(["--session-id", sessionIdFor("TASK-0001", 2)])
    fs.writeFileSync(go, "")
    await waitForRecord(log, (r) => r.kind === "exit" && readClaudeLog(log).filter((x) => x.kind === "exit").length === 2)
  })
})
