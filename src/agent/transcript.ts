import { type ModelCall, maxUsage, type Usage } from "../domain/Usage.js"

const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0)

/**
 * The model calls in lines of a Claude Code transcript (JSONL): assistant lines with a
 * `message.id` and a `message.usage`. Claude Code writes one streamed message over several
 * lines that repeat its usage (counts that only grow as it streams), so each id comes out
 * once, with its largest counts (its last line's), in the order the ids first appear. Anything else (user lines, summaries,
 * a line that is not JSON) is skipped: the format is Claude Code's own and changes between
 * versions (docs/CLAUDE-CODE.md).
 */
export const modelCallsOf = (lines: ReadonlyArray<string>): ReadonlyArray<ModelCall> => {
  const calls = new Map<string, Usage>()
  for (const line of lines) {
    let entry: unknown
    try {
      entry = JSON.parse(line)
    } catch {
      continue
    }
    if (typeof entry !== "object" || entry === null) continue
    const { message, type } = entry as { readonly type?: unknown; readonly message?: unknown }
    if (type !== "assistant" || typeof message !== "object" || message === null) continue
    const { id, usage } = message as { readonly id?: unknown; readonly usage?: unknown }
    if (typeof id !== "string" || id === "" || typeof usage !== "object" || usage === null) continue
    const u = usage as Record<string, unknown>
    const counts: Usage = {
      input_tokens: count(u.input_tokens),
      output_tokens: count(u.output_tokens),
      cache_read_input_tokens: count(u.cache_read_input_tokens),
      cache_creation_input_tokens: count(u.cache_creation_input_tokens)
    }
    // A Map keeps the place of an id's first line when a later line sets it again.
    const before = calls.get(id)
    calls.set(id, before === undefined ? counts : maxUsage(before, counts))
  }
  return [...calls].map(([id, usage]) => ({ id, usage }))
}
