import { Options } from "@effect/cli"
import { Author, TASK_STATUSES, TaskKind } from "../domain/Task.js"
import { TRANSITIONS } from "../domain/transitions.js"

/** `--json`, saying what it prints. */
export const jsonOption = (what: string) => Options.boolean("json").pipe(Options.withDescription(`print ${what} as JSON`))

const REPORTS = TRANSITIONS.filter(([, move]) => move === "report")

/** What a report may set: every status the table lets a `report` move reach. */
const REPORT_STATUSES = TASK_STATUSES.filter((status) => REPORTS.some(([, , to]) => to.includes(status)))

/** The report moves the table allows, as help says them. */
export const REPORT_MOVES = REPORTS.map(([from, , to]) => `from ${from} to ${to.join(" | ")}`).join("; ")

/**
 * The options that take one of a fixed set of values, per command: `Options.choice` lists them
 * in help and completes them, and argv.ts checks them before @effect/cli parses (a bad one is a
 * refused value, exit 1, in any letter case). `what` names the value in that refusal.
 */
export const CHOICES = {
  "task create": {
    kind: { what: "a kind", values: TaskKind.literals },
    status: { what: "a status for a new task", values: ["ready", "backlog"] as const }
  },
  "task list": { status: { what: "a status", values: TASK_STATUSES } },
  "task report": { status: { what: "a status a report may set", values: REPORT_STATUSES } },
  "task comment": { author: { what: "an author", values: Author.literals } }
} as const

type Choices = typeof CHOICES

export interface Choice {
  readonly what: string
  readonly values: ReadonlyArray<string>
}

/** The choice options of a command ("task create"), by name without the dashes. */
export const choicesOf = (command: string): Readonly<Record<string, Choice>> | undefined =>
  Object.hasOwn(CHOICES, command) ? (CHOICES as Readonly<Record<string, Readonly<Record<string, Choice>>>>)[command] : undefined

/** The option `--name` of `command`, as a choice of the values CHOICES gives it. */
export const choiceOption = <C extends keyof Choices, N extends keyof Choices[C] & string>(command: C, name: N) => {
  const choice = CHOICES[command][name] as Choices[C][N] & Choice
  return Options.choice(name, choice.values as (typeof choice)["values"])
}
