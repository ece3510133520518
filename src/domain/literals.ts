/**
 * The domain's literal sets as plain data, importing nothing: the CLI's fast path checks
 * argv against them before Effect is loaded. Task.ts builds its schemas from them.
 */
export const STATUS_VALUES = ["backlog", "ready", "in-progress", "blocked", "in-review", "done", "failed", "cancelled"] as const
export const KIND_VALUES = ["implement", "review", "debug"] as const
export const AUTHOR_VALUES = ["human", "agent"] as const
/** How soon a ready task is claimed: high first, then normal, then low (each the oldest first). */
export const PRIORITY_VALUES = ["high", "normal", "low"] as const
