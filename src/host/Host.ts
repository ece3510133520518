import { Context, Duration, Effect, Layer, Schedule } from "effect"
import * as fs from "node:fs"
import { HubConfig } from "../config.js"
import type { Lease } from "../store/TaskStore.js"

/** What a lease row holds: the pid of the process holding a claim, and its start time. */
export interface LeaseFields {
  readonly lease_pid: number | null
  readonly lease_start: string | null
}

/**
 * What hub asks of this machine about its processes: who this process is (a lease that a
 * reused pid can never pass for), and whether the process holding a lease still runs.
 * Behind a service, so that reconcile and status are tested without real pids.
 */
export class Host extends Context.Tag("hub/Host")<Host, {
  readonly currentLease: Effect.Effect<Lease>
  /** Live while its process runs: same pid, same start time, not a zombie. */
  readonly isLeaseLive: (lease: LeaseFields) => Effect.Effect<boolean>
  /**
   * Ends every process of an attempt: those whose environment holds its `HUB_SESSION_ID` and
   * this HUB_HOME (every process an agent starts inherits both, even under `nohup` or
   * `setsid`), never this process or its ancestors. TERM, then KILL after `grace`. Returns how many there were.
   */
  readonly endSession: (sessionId: string, grace?: Duration.DurationInput) => Effect.Effect<number>
}>() {}

interface ProcStat {
  readonly state: string
  readonly start: string
}

/** Field 3 (state) and 22 (start time in clock ticks) of /proc/PID/stat; the name may hold spaces. */
const readStat = (pid: number): ProcStat | undefined => {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
    const [state, start] = [fields[0], fields[19]]
    return state === undefined || start === undefined ? undefined : { state, start }
  } catch {
    return undefined
  }
}

/** Where /proc is missing (macOS) the pid alone decides. */
const pidAnswers = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export const leaseIsLive = (lease: LeaseFields, hasProc = fs.existsSync("/proc/self/stat")): boolean => {
  if (lease.lease_pid === null) return false
  const stat = readStat(lease.lease_pid)
  if (stat === undefined) return !hasProc && pidAnswers(lease.lease_pid)
  if (stat.state === "Z" || stat.state === "X") return false
  return lease.lease_start === null || lease.lease_start === "unknown" || lease.lease_start === stat.start
}

/** This process and its ancestors: a `hub task cancel` an agent runs must not end itself. */
export const selfAndAncestors = (): Set<number> => {
  const pids = new Set<number>()
  for (let pid = process.pid; pid > 1 && !pids.has(pid);) {
    pids.add(pid)
    try {
      const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
      pid = Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[1])
    } catch {
      break
    }
  }
  return pids
}

/** Whether an environment block (`/proc/PID/environ`) holds `NAME=value` exactly. */
const holds = (environ: Buffer, entry: string): boolean =>
  environ.includes(Buffer.from(`\0${entry}\0`)) || environ.subarray(0, entry.length + 1).equals(Buffer.from(`${entry}\0`))

/**
 * The pids whose environment names the session of this HUB_HOME: session ids are unique only
 * within one HUB_HOME (TASK-0001's first attempt has the same one everywhere), so both must
 * match. Unreadable ones (another user's) are not ours.
 */
export const sessionProcesses = (
  sessionId: string,
  home: string,
  spared: ReadonlySet<number> = selfAndAncestors()
): Array<number> => {
  const found: Array<number> = []
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || spared.has(Number(name))) continue
    try {
      const environ = fs.readFileSync(`/proc/${name}/environ`)
      if (holds(environ, `HUB_SESSION_ID=${sessionId}`) && holds(environ, `HUB_HOME=${home}`)) found.push(Number(name))
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found
}

const signal = (pids: ReadonlyArray<number>, sig: NodeJS.Signals) => {
  for (const pid of pids) {
    try {
      process.kill(pid, sig)
    } catch {
      // Already gone.
    }
  }
}

const alive = (pids: ReadonlyArray<number>) => pids.filter((pid) => leaseIsLive({ lease_pid: pid, lease_start: null }))

export const makeHost = Effect.map(HubConfig, (config) => {
  const hasProc = fs.existsSync("/proc/self/stat")
  const endSession = (sessionId: string, grace: Duration.DurationInput = "2 seconds") =>
    Effect.gen(function* () {
      if (!hasProc) return 0
      const pids = yield* Effect.sync(() => sessionProcesses(sessionId, config.home))
      if (pids.length === 0) return 0
      yield* Effect.sync(() => signal(pids, "SIGTERM"))
      // Wait for them to go (polling /proc: a process's end sends us no event), then KILL.
      yield* Effect.sync(() => alive(pids)).pipe(
        Effect.repeat({ until: (left) => left.length === 0, schedule: Schedule.spaced("25 millis") }),
        Effect.timeout(grace),
        Effect.ignore
      )
      yield* Effect.sync(() => signal(alive(pids), "SIGKILL"))
      return pids.length
    })
  return Host.of({
    currentLease: Effect.sync(() => ({ pid: process.pid, start: readStat(process.pid)?.start ?? "unknown" })),
    isLeaseLive: (lease) => Effect.sync(() => leaseIsLive(lease, hasProc)),
    endSession
  })
})

/** This machine's processes, through /proc where it exists; HUB_HOME names whose attempts. */
export const HostLive = Layer.effect(Host, makeHost)
