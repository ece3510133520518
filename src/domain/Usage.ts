import { Schema } from "effect"

/**
 * Tokens an agent used, as Claude Code's transcript records them per model call
 * (`message.usage`): the four counts are disjoint, so they add up.
 */
export const Usage = Schema.Struct({
  input_tokens: Schema.NonNegativeInt,
  output_tokens: Schema.NonNegativeInt,
  cache_read_input_tokens: Schema.NonNegativeInt,
  cache_creation_input_tokens: Schema.NonNegativeInt
})
export type Usage = typeof Usage.Type

/** One model call as a transcript records it: its message id and its usage. */
export interface ModelCall {
  readonly id: string
  readonly usage: Usage
}

export const NO_USAGE: Usage = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }

export const USAGE_KEYS = ["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"] as const

export const addUsage = (a: Usage, b: Usage): Usage => ({
  input_tokens: a.input_tokens + b.input_tokens,
  output_tokens: a.output_tokens + b.output_tokens,
  cache_read_input_tokens: a.cache_read_input_tokens + b.cache_read_input_tokens,
  cache_creation_input_tokens: a.cache_creation_input_tokens + b.cache_creation_input_tokens
})

export const subtractUsage = (a: Usage, b: Usage): Usage => ({
  input_tokens: a.input_tokens - b.input_tokens,
  output_tokens: a.output_tokens - b.output_tokens,
  cache_read_input_tokens: a.cache_read_input_tokens - b.cache_read_input_tokens,
  cache_creation_input_tokens: a.cache_creation_input_tokens - b.cache_creation_input_tokens
})

/** Field by field the larger: a streamed message's counts only grow, so this is its latest. */
export const maxUsage = (a: Usage, b: Usage): Usage => ({
  input_tokens: Math.max(a.input_tokens, b.input_tokens),
  output_tokens: Math.max(a.output_tokens, b.output_tokens),
  cache_read_input_tokens: Math.max(a.cache_read_input_tokens, b.cache_read_input_tokens),
  cache_creation_input_tokens: Math.max(a.cache_creation_input_tokens, b.cache_creation_input_tokens)
})

export const isNoUsage = (u: Usage): boolean => USAGE_KEYS.every((key) => u[key] === 0)

/** `1,234 in, 56 out, 7,890 cache read, 12 cache write`, for people. */
export const formatUsage = (u: Usage): string =>
  [
    `${u.input_tokens.toLocaleString("en-US")} in`,
    `${u.output_tokens.toLocaleString("en-US")} out`,
    `${u.cache_read_input_tokens.toLocaleString("en-US")} cache read`,
    `${u.cache_creation_input_tokens.toLocaleString("en-US")} cache write`
  ].join(", ")

/** A count in a narrow column: `980`, `12.3k`, `4.5M`. */
export const shortCount = (n: number): string =>
  n < 1_000 ? String(n) : n < 1_000_000 ? `${(n / 1_000).toFixed(n < 10_000 ? 1 : 0)}k` : `${(n / 1_000_000).toFixed(1)}M`
