import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import {
  afterSignal,
  type AgentPolicyInput,
  agentPolicy,
  type AgentSignal,
  type AgentStatus,
  startingAt
} from "../../src/domain/AgentState.js"
import { formatDurationMs, parseDurationMs } from "../../src/domain/duration.js"

const T0 = Date.parse("2026-12-01T10:00:00.000Z")
const iso = (msAfter: number) => new Date(T0 + msAfter).toISOString()
const config = { idleAfterMs: 120_000, stallAfterMs: 900_000 }

const fold = (signals: ReadonlyArray<AgentSignal>): AgentStatus => signals.reduce(afterSignal, startingAt(iso(0)))

describe("afterSignal: the agent's state from its hooks", () => {
  it("each signal reads as a state with its reason; since moves only when the state changes", () => {
    const busy1 = fold([{ _tag: "started", at: iso(1) }, { _tag: "busy", at: iso(2), doing: "using Bash" }])
    expect(busy1).toEqual({ state: "busy", since: iso(2), reason: "using Bash", activeAt: iso(2) })
    const busy2 = afterSignal(busy1, { _tag: "busy", at: iso(5), doing: "using Edit" })
    expect(busy2).toEqual({ state: "busy", since: iso(2), reason: "using Edit", activeAt: iso(5) })
    expect(afterSignal(busy2, { _tag: "idle", at: iso(9) })).toEqual({ state: "idle", since: iso(9), reason: "turn ended", activeAt: iso(9) })
  })

  it.each([
    [{ _tag: "started", at: iso(1) }, "starting", "session started"],
    [{ _tag: "waiting", at: iso(1), message: "Claude needs your permission to use Bash" }, "waiting", "waiting for permission: Claude needs your permission to use Bash"],
    [{ _tag: "turnFailed", at: iso(1), error: "rate_limit" }, "waiting", "turn failed: rate_limit"],
    [{ _tag: "ended", at: iso(1), reason: "logout" }, "ended", "session ended (logout)"]
  ] as const)("%o → %s", (signal, state, reason) => {
    expect(afterSignal(startingAt(iso(0)), signal)).toMatchObject({ state, reason })
  })

  it("a background hook that lands after the turn's end changes no state", () => {
    const idle = fold([{ _tag: "busy", at: iso(1), doing: "using Bash" }, { _tag: "idle", at: iso(5) }])
    expect(afterSignal(idle, { _tag: "busy", at: iso(4), doing: "using Bash" })).toEqual(idle)
  })

  it("a hook from before the dispatcher recorded the window (its `starting`) still counts", () => {
    expect(afterSignal(startingAt(iso(10)), { _tag: "busy", at: iso(5), doing: "using Bash" })).toMatchObject({
      state: "busy",
      reason: "using Bash"
    })
  })

  it("a late signal does not move the last activity back", () => {
    const now = afterSignal(startingAt(iso(10)), { _tag: "busy", at: iso(5), doing: "x" })
    expect(now.activeAt).toBe(iso(10))
  })
})

const input = (over: Partial<AgentPolicyInput> & { readonly agent: AgentStatus }): AgentPolicyInput => ({
  status: "in-progress",
  blockedByAgentState: false,
  outputAt: null,
  now: T0,
  ...over
})
const status = (state: AgentStatus["state"], since: number, activeAt = since, reason = "r"): AgentStatus => ({
  state, since: iso(since), reason, activeAt: iso(activeAt)
})

describe("agentPolicy: what reconcile does about what the agent is doing", () => {
  it("waiting → blocked with the agent's reason, at once", () => {
    const verdict = agentPolicy(input({ agent: status("waiting", 0, 0, "waiting for permission: may I?") }), config)
    expect(verdict).toEqual(Option.some({ to: "blocked", reason: "agent waiting for permission: may I?" }))
    const failed = agentPolicy(input({ agent: status("waiting", 0, 0, "turn failed: billing_error") }), config)
    expect(failed).toEqual(Option.some({ to: "blocked", reason: "agent turn failed: billing_error" }))
  })

  it("idle for HUB_IDLE_AFTER without reporting → in-review; a moment less → nothing", () => {
    const idle = status("idle", 0)
    expect(agentPolicy(input({ agent: idle, now: T0 + 119_999 }), config)).toEqual(Option.none())
    expect(agentPolicy(input({ agent: idle, now: T0 + 120_000 }), config)).toEqual(
      Option.some({ to: "in-review", reason: "agent idle for 2m without reporting" })
    )
  })

  it("no hook and no output for HUB_STALL_AFTER → stalled and blocked; output counts as activity", () => {
    const busy = status("busy", 0)
    const stalled = Option.some({ to: "blocked", state: "stalled", reason: "agent stalled: no activity for 15m" })
    expect(agentPolicy(input({ agent: busy, now: T0 + 900_000 }), config)).toEqual(stalled)
    expect(agentPolicy(input({ agent: status("starting", 0), now: T0 + 900_000 }), config)).toEqual(stalled)
    expect(agentPolicy(input({ agent: busy, now: T0 + 900_000, outputAt: iso(1) }), config)).toEqual(Option.none())
    expect(agentPolicy(input({ agent: busy, now: T0 + 899_999 }), config)).toEqual(Option.none())
  })

  it("an idle or ended agent never stalls (idle has its own policy; ended is for liveness)", () => {
    expect(agentPolicy(input({ agent: status("ended", 0), now: T0 + 10 * 900_000 }), config)).toEqual(Option.none())
    expect(agentPolicy(input({ agent: status("idle", 0), now: T0 + 60_000 }), config)).toEqual(Option.none())
  })

  it("blocked by reconcile, then busy again (a hook) or new output after a stall → in-progress again", () => {
    const blocked = { status: "blocked" as const, blockedByAgentState: true }
    expect(agentPolicy(input({ ...blocked, agent: status("busy", 5) }), config)).toEqual(
      Option.some({ to: "in-progress", reason: "agent is working again" })
    )
    expect(agentPolicy(input({ ...blocked, agent: status("stalled", 5), outputAt: iso(6) }), config)).toEqual(
      Option.some({ to: "in-progress", state: "busy", reason: "agent is working again (new output)" })
    )
    expect(agentPolicy(input({ ...blocked, agent: status("stalled", 5), outputAt: iso(4) }), config)).toEqual(Option.none())
    expect(agentPolicy(input({ ...blocked, agent: status("waiting", 5) }), config)).toEqual(Option.none())
  })

  it("a task the agent or a person blocked, or one in review or done, is left to them", () => {
    for (const s of ["blocked", "in-review", "done", "ready"] as const) {
      expect(agentPolicy(input({ status: s, agent: status("busy", 0), now: T0 + 10 * 900_000 }), config)).toEqual(Option.none())
    }
  })
})

describe("durations", () => {
  it.each([["2m", 120_000], ["15m", 900_000], ["30s", 30_000], ["500ms", 500], ["90", 90_000], ["1.5h", 5_400_000]] as const)(
    "%s = %d ms", (text, ms) => expect(parseDurationMs(text)).toBe(ms))
  it("refuses what is not a duration", () => {
    for (const bad of ["", "soon", "-1m", "5 minutes"]) expect(parseDurationMs(bad)).toBeUndefined()
  })
  it.each([[120_000, "2m"], [900_000, "15m"], [90_000, "90s"], [3_600_000, "1h"], [172_800_000, "2d"], [1500, "1500ms"]] as const)(
    "%d ms = %s", (ms, text) => expect(formatDurationMs(ms)).toBe(text))
})
