import { Options } from "@effect/cli"
import { TASK_STATUSES } from "../domain/Task.js"
import { TRANSITIONS } from "../domain/transitions.js"
import { type Choice, PLAIN_CHOICES } from "./choices.js"

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
 * refused value, exit 1, in any letter case). `what` names the value in that refusal. The
 * plain ones are in choices.ts, which the fast path reads too.
 */
export const CHOICES = {
  ...PLAIN_CHOICES,
  "task report": { status: { what: "a status a report may set", values: REPORT_STATUSES } }
} as const

type Choices = typeof CHOICES

/** The option `--name` of `command`, as a choice of the values CHOICES gives it. */
export const choiceOption = <C extends keyof Choices, N extends keyof Choices[C] & string>(command: C, name: N) => {
  const choice = CHOICES[command][name] as Choices[C][N] & Choice
  return Options.choice(name, choice.values as (typeof choice)["values"])
}
