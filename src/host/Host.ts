import { Context, Effect, Layer } from "effect"
import * as fs from "node:fs"
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

export const makeHost = Effect.sync(() => {
  const hasProc = fs.existsSync("/proc/self/stat")
  return Host.of({
    currentLease: Effect.sync(() => ({ pid: process.pid, start: readStat(process.pid)?.start ?? "unknown" })),
    isLeaseLive: (lease) => Effect.sync(() => leaseIsLive(lease, hasProc))
  })
})

/** This machine's processes, through /proc where it exists. */
export const HostLive = Layer.effect(Host, makeHost)
