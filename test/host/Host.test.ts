import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { Effect, Layer, Schedule } from "effect"
import { HubConfigFrom } from "../../src/config.js"
import { Host, HostLive as HostOn, leaseIsLive, selfAndAncestors, sessionProcesses as processesOf } from "../../src/host/Host.js"

/** The HUB_HOME these tests' agents run in; the host judges only its own attempts. */
const HOME = `/tmp/hub-host-test-${process.pid}`
const HostLive = HostOn.pipe(Layer.provide(HubConfigFrom({ home: HOME })))
const sessionProcesses = (session: string, spared?: ReadonlySet<number>) => processesOf(session, HOME, spared)

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

  it.live("endSession ends every process of the attempt, nohup and setsid ones too, and none of another attempt or HUB_HOME", () =>
    Effect.gen(function* () {
      const host = yield* Host
      const agent = (session: string, home = HOME) =>
        spawn("sh", ["-c", "nohup sleep 300 >/dev/null 2>&1 & setsid sleep 300 & sleep 300"], {
          env: { ...process.env, HUB_SESSION_ID: session, HUB_HOME: home },
          stdio: "ignore",
          detached: true
        })
      const mine = `test-${process.pid}-mine`
      const other = `test-${process.pid}-other`
      const elsewhere = `${HOME}-elsewhere`
      agent(mine)
      agent(other)
      // The same session id in another HUB_HOME (its TASK-0001#1, say) is not this hub's.
      agent(mine, elsewhere)
      yield* Effect.addFinalizer(() =>
        Effect.sync(() =>
          [...[mine, other].flatMap((s) => sessionProcesses(s)), ...processesOf(mine, elsewhere)].forEach((pid) => process.kill(pid, "SIGKILL"))
        ))
      // The shell and its three sleeps are up once /proc shows four processes of the session.
      const upAll = Effect.sync(() => [sessionProcesses(mine).length, sessionProcesses(other).length, processesOf(mine, elsewhere).length]).pipe(
        Effect.repeat({ until: (counts) => counts.every((n) => n >= 4), schedule: Schedule.spaced("10 millis") }),
        Effect.timeout("10 seconds")
      )
      yield* upAll
      expect(yield* host.endSession(mine, "2 seconds")).toBe(4)
      expect(sessionProcesses(mine).filter((pid) => leaseIsLive({ lease_pid: pid, lease_start: null }))).toEqual([])
      expect(sessionProcesses(other)).toHaveLength(4)
      expect(processesOf(mine, elsewhere)).toHaveLength(4)
      expect(yield* host.endSession("no-such-session")).toBe(0)
    }).pipe(Effect.provide(HostLive), Effect.scoped))

  it.live("the processes of a session spare this process and its ancestors (a hub run by the agent itself)", () =>
    Effect.gen(function* () {
      expect([...selfAndAncestors()]).toEqual(expect.arrayContaining([process.pid, process.ppid]))
      const session = `test-${process.pid}-spared`
      const shell = spawn("sh", ["-c", "sleep 300 & sleep 300"], {
        env: { ...process.env, HUB_SESSION_ID: session, HUB_HOME: HOME },
        stdio: "ignore",
        detached: true
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => sessionProcesses(session).forEach((pid) => process.kill(pid, "SIGKILL"))))
      yield* Effect.sync(() => sessionProcesses(session)).pipe(
        Effect.repeat({ until: (pids) => pids.length >= 3, schedule: Schedule.spaced("10 millis") }),
        Effect.timeout("10 seconds")
      )
      const seen = sessionProcesses(session, new Set([shell.pid!]))
      expect(seen).toHaveLength(2)
      expect(seen).not.toContain(shell.pid)
    }).pipe(Effect.scoped))
})
