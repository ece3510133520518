import { describe, expect, it } from "@effect/vitest"
import { hostLost, hostLostReason, leaseCutoff, renewEveryMs, runsHere } from "../../src/domain/hostLease.js"
import { checkTransition, CLAIMED, CLAIMABLE, isAllowed, RECLAIM_MOVE, RECLAIM_TO } from "../../src/domain/transitions.js"

const T0 = Date.parse("2026-01-01T00:00:00.000Z")
const at = (ms: number) => new Date(T0 + ms).toISOString()
const LEASE = 120_000

describe("hostLost: a host's task is lost when its last sign of life is older than the lease", () => {
  it.each([
    // renewed at, claimed at, now (ms after T0), lost?
    ["renewed just now", at(0), at(-600_000), 0, false],
    ["renewed exactly one lease ago", at(0), at(-600_000), LEASE, false],
    ["renewed one lease and 1 ms ago", at(0), at(-600_000), LEASE + 1, true],
    ["never renewed, claimed just now", null, at(0), 1, false],
    ["never renewed, claimed exactly one lease ago", null, at(0), LEASE, false],
    ["never renewed, claimed longer ago", null, at(0), LEASE + 1, true],
    ["an old lease, but a fresh claim (the host came back and claimed first)", at(0), at(600_000), 600_000 + LEASE, false],
    ["an old claim, a fresh lease", at(600_000), at(0), 600_000 + LEASE, false],
    ["both old", at(600_000), at(0), 600_000 + LEASE + 1, true],
    ["no sign at all (a claim from before hosts, never renewed)", null, null, 0, true]
  ] as const)("%s → lost: %s", (_, renewedAt, claimedAt, now, lost) => {
    expect(hostLost({ host: "alpha", renewedAt, claimedAt }, T0 + now, LEASE)).toBe(lost)
  })

  it("the cutoff the store's statement re-checks is the same boundary", () => {
    const now = T0 + 600_000
    const cutoff = leaseCutoff(now, LEASE)
    expect(cutoff).toBe(at(600_000 - LEASE))
    // At the cutoff: kept (the statement's `renewed_at >= cutoff`); 1 ms before: lost.
    expect(hostLost({ host: "a", renewedAt: cutoff, claimedAt: null }, now, LEASE)).toBe(false)
    expect(hostLost({ host: "a", renewedAt: at(600_000 - LEASE - 1), claimedAt: null }, now, LEASE)).toBe(true)
  })
})

describe("hostLostReason names the host and what was last heard of it", () => {
  it("a host that renewed", () => {
    expect(hostLostReason({ host: "build-7", renewedAt: at(0), claimedAt: at(-5) }, LEASE)).toBe(
      "host build-7 lost its lease (last renewed 2026-01-01T00:00:00.000Z; HUB_HOST_LEASE 2m)"
    )
  })
  it("a host that never did", () => {
    expect(hostLostReason({ host: "laptop", renewedAt: null, claimedAt: at(0) }, 90_000)).toBe(
      "host laptop lost its lease (never renewed; HUB_HOST_LEASE 90s)"
    )
  })
})

describe("renewEveryMs: four renewals per lease", () => {
  it.each([[120_000, 30_000], [60_000, 15_000], [1_000, 250], [400, 250]])("lease %d ms → every %d ms", (lease, every) => {
    expect(renewEveryMs(lease)).toBe(every)
  })
})

describe("runsHere: whose attempt a host judges", () => {
  it.each([
    [null, true],
    ["alpha", true],
    ["beta", false]
  ] as const)("task on %s, asked on alpha → %s", (host, here) => {
    expect(runsHere({ host }, "alpha")).toBe(here)
  })
})

describe("the reclaim is a move of the transition table", () => {
  it("in-progress → ready by the reconciler's move, back where a claim takes from", () => {
    expect(RECLAIM_MOVE).toBe("reconcile")
    expect(RECLAIM_TO).toBe("ready")
    expect(CLAIMABLE).toContain(RECLAIM_TO)
    expect(isAllowed(CLAIMED, RECLAIM_MOVE, RECLAIM_TO)).toBe(true)
    expect(checkTransition("TASK-0001", CLAIMED, RECLAIM_MOVE, RECLAIM_TO)._tag).toBe("Right")
  })
})
