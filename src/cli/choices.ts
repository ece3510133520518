/**
 * The options that take one of a fixed set of values, as plain data (importing nothing but
 * the domain's literal sets): argv.ts checks them before any parser runs, in the full CLI
 * and on the fast path (fastArgs.ts, which decides before Effect is loaded); options.ts
 * makes them `Options.choice`s and adds `task report`'s, which the transition table gives.
 */
import { AUTHOR_VALUES, KIND_VALUES, PRIORITY_VALUES, STATUS_VALUES } from "../domain/literals.js"

export interface Choice {
  /** What the value is, in the refusal of one outside `values`. */
  readonly what: string
  readonly values: ReadonlyArray<string>
}

/** Per command ("task create"), its choice options by name without the dashes. */
export type ChoiceTable = Readonly<Record<string, Readonly<Record<string, Choice>>>>

/** Every command's choices but `task report`'s (see options.ts). */
export const PLAIN_CHOICES = {
  "task create": {
    kind: { what: "a kind", values: KIND_VALUES },
    status: { what: "a status for a new task", values: ["ready", "backlog"] as const },
    priority: { what: "a priority", values: PRIORITY_VALUES }
  },
  "task edit": { priority: { what: "a priority", values: PRIORITY_VALUES } },
  "task list": { status: { what: "a status", values: STATUS_VALUES } },
  "task comment": { author: { what: "an author", values: AUTHOR_VALUES } }
} as const

/** The choice options of `command` in `table`, if it has any. */
export const choicesIn = (table: ChoiceTable, command: string): Readonly<Record<string, Choice>> | undefined =>
  Object.hasOwn(table, command) ? table[command] : undefined
