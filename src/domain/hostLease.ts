import { formatDurationMs } from "./duration.js"

/**
 * Host leases: several machines claim from one queue, and each judges only its own attempts
 * (tmux and worktrees are local). A host's daemon (and `hub dispatch`, while it runs) renews
 * the host's lease; a host that stops renewing has lost its in-progress tasks, and the next
 * reconcile on any host returns them to `ready`. Pure: the times come in as arguments.
 */

/** What another host's in-progress task shows of that host's life. */
export interface HostSigns {
  readonly host: string
  /** When the host last renewed its lease; null when it never has (no daemon ever ran there). */
  readonly renewedAt: string | null
  /** When the task was claimed there: a claim is a sign of life too (null for a claim before hosts were recorded). */
  readonly claimedAt: string | null
}

/**
 * The time before which a sign of life no longer counts: a host lost its tasks when neither its
 * lease nor the task's claim is at or after it. The store's reclaim statement takes it, and
 * checks the same rule again in the write (a host that renews meanwhile keeps its tasks).
 */
export const leaseCutoff = (nowMs: number, leaseMs: number): string => new Date(nowMs - leaseMs).toISOString()

/** The latest sign of life, in ms since the epoch; none when there is no sign at all. */
const lastSign = (signs: HostSigns): number | undefined => {
  const times = [signs.renewedAt, signs.claimedAt].filter((t): t is string => t !== null).map(Date.parse)
  return times.length === 0 ? undefined : Math.max(...times)
}

/**
 * Whether the host of an in-progress task has lost it: its lease and the task's claim are both
 * older than `leaseMs` (a host that never renewed counts from the claim). A task with no sign of
 * life at all has lost its host too.
 */
export const hostLost = (signs: HostSigns, nowMs: number, leaseMs: number): boolean => {
  const last = lastSign(signs)
  return last === undefined || last < nowMs - leaseMs
}

/** The event's reason: it names the host, and when it was last heard of. */
export const hostLostReason = (signs: HostSigns, leaseMs: number): string =>
  `host ${signs.host} lost its lease (${
    signs.renewedAt === null ? "never renewed" : `last renewed ${signs.renewedAt}`
  }; HUB_HOST_LEASE ${formatDurationMs(leaseMs)})`

/**
 * How often a host renews its lease: four times per lease, so that a renewal or two may fail
 * (a busy database) before other hosts count the host as lost.
 */
export const renewEveryMs = (leaseMs: number): number => Math.max(250, Math.floor(leaseMs / 4))

/**
 * Whether a task's current attempt is this host's to judge: its window and worktree are here.
 * A task never claimed, or claimed before hosts were recorded (no host: on SQLite, the one
 * machine that used the file), counts as this host's.
 */
export const runsHere = (task: { readonly host: string | null }, host: string): boolean =>
  task.host === null || task.host === host
