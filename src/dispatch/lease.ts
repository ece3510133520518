import { Effect } from "effect"
import * as fs from "node:fs"
import type { Lease } from "../store/TaskStore.js"

interface ProcStat {
  readonly state: string
  readonly start: string
}

/** Field 3 (state) and 22 (start time in clock ticks) of /proc/PID/stat; the name may hold spaces. */
const readStat = (pid: number): ProcStat | undefined => {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
    return { state: fields[0]!, start: fields[19]! }
  } catch {
    return undefined
  }
}

/** This process, named so that a reused pid can never pass for it. */
export const currentLease: Effect.Effect<Lease> = Effect.sync(() => ({
  pid: process.pid,
  start: readStat(process.pid)?.start ?? "unknown"
}))

/**
 * A lease is live while its process runs: same pid, same start time, not a zombie. Where
 * /proc is missing the pid alone decides.
 */
export const isLeaseLive = (lease: { readonly lease_pid: number | null; readonly lease_start: string | null }): boolean => {
  if (lease.lease_pid === null) return false
  const stat = readStat(lease.lease_pid)
  if (stat === undefined) {
    if (fs.existsSync("/proc/self/stat")) return false
    try {
      process.kill(lease.lease_pid, 0)
      return true
    } catch {
      return false
    }
  }
  if (stat.state === "Z" || stat.state === "X") return false
  return lease.lease_start === null || lease.lease_start === "unknown" || lease.lease_start === stat.start
}

/** Whether a pid names a running, non-zombie process. */
export const isProcessAlive = (pid: number): boolean => isLeaseLive({ lease_pid: pid, lease_start: null })
