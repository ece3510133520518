import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { Effect, Schedule } from "effect"
import { Host, HostLive, leaseIsLive } from "../../src/host/Host.js"

describe("Host (this machine's /proc)", () => {
  it.effect("this process's own lease is live; the same pid with another start time is not", () =>
    Effect.gen(function* () {
      const host = yield* Host
      const lease = yield* host.currentLease
      expect(lease.pid).toBe(process.pid)
      expect(lease.start).toMatch(/^\d+$/)
      expect(yield* host.isLeaseLive({ lease_pid: lease.pid, lease_start: lease.start })).toBe(true)
      expect(yield* host.isLeaseLive({ lease_pid: lease.pid, lease_start: "1" })).toBe(false)
    }).pipe(Effect.provide(HostLive)))

  it.effect("no lease, or a pid above any pid_max, is not live", () =>
    Effect.gen(function* () {
      const host = yield* Host
      expect(yield* host.isLeaseLive({ lease_pid: null, lease_start: null })).toBe(false)
      expect(yield* host.isLeaseLive({ lease_pid: 4_194_305, lease_start: null })).toBe(false)
    }).pipe(Effect.provide(HostLive)))

  it.live("a zombie passes kill(pid, 0) but its lease is not live", () =>
    Effect.gen(function* () {
      // The child exits after its parent has become `sleep`, which never reaps it: a zombie.
      const parent = spawn("sh", ["-c", "sleep 0.2 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] })
      yield* Effect.addFinalizer(() => Effect.sync(() => parent.kill("SIGKILL")))
      const pid = yield* Effect.async<number>((resume) => {
        parent.stdout.once("data", (chunk: Buffer) => resume(Effect.succeed(Number(chunk.toString().trim()))))
      })
      const state = () => fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0]
      yield* Effect.sync(state).pipe(Effect.repeat({ until: (s) => s === "Z", schedule: Schedule.spaced("10 millis") }), Effect.timeout("10 seconds"))
      expect(() => process.kill(pid, 0)).not.toThrow()
      expect(leaseIsLive({ lease_pid: pid, lease_start: null })).toBe(false)
    }).pipe(Effect.scoped))
})
