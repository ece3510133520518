/** Durations as people write them: `500ms`, `30s`, `5m`, `72h`, `2d`, or a bare number of seconds. */
const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** Milliseconds, or undefined when the text is not a duration. */
export const parseDurationMs = (input: string): number | undefined => {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i.exec(input.trim())
  if (!match) return undefined
  const unit = (match[2] ?? "s").toLowerCase() as keyof typeof UNITS
  return Number(match[1]) * UNITS[unit]
}

/** The shortest way people write it: 120000 → `2m`, 90000 → `90s`, 900000 → `15m`. */
export const formatDurationMs = (ms: number): string => {
  for (const [unit, size] of [["d", UNITS.d], ["h", UNITS.h], ["m", UNITS.m], ["s", UNITS.s]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
