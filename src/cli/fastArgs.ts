/**
 * Which commands take the fast path (fast.ts): `hub task list`, `task show|get ID` and
 * `task create --title …` in their plain forms. The command line is first checked as the
 * full CLI checks it (argv.ts: a missing value, a value outside its choices, choices in any
 * letter case): what that refuses, the fast path refuses in the same words. Anything else it
 * does not take as it stands — help, `--flag=value`, an unknown or repeated option, a missing
 * argument — is declined and goes to the full CLI, which says what it always said. Pure,
 * importing nothing but plain data: the fast bundle decides before Effect is loaded.
 */
import type { TaskKind, TaskPriority, TaskStatus } from "../domain/Task.js"
import { type ArgvRefusal, checkArgs } from "./argv.js"
import { PLAIN_CHOICES } from "./choices.js"

export type FastCommand =
  | { readonly command: "list"; readonly status: ReadonlyArray<TaskStatus>; readonly all: boolean; readonly json: boolean }
  | { readonly command: "show"; readonly id: string; readonly json: boolean }
  | {
    readonly command: "create"
    readonly title: string
    readonly kind: TaskKind
    readonly repo: string | undefined
    readonly description: string
    readonly link: ReadonlyArray<string>
    readonly status: "ready" | "backlog"
    readonly priority: TaskPriority
    readonly after: ReadonlyArray<string>
    readonly json: boolean
  }
  /** Refused before parsing, as the full CLI refuses it (argv.ts). */
  | { readonly command: "refused"; readonly refusal: ArgvRefusal }

/** `hub task create`'s defaults, for both paths (task.ts gives them to @effect/cli). */
export const CREATE_DEFAULTS = { kind: "implement", description: "", status: "ready", priority: "normal" } as const

interface Grammar {
  readonly flags: ReadonlyArray<string>
  readonly values: ReadonlyArray<string>
  readonly repeated: ReadonlyArray<string>
  readonly args: number
}

const GRAMMARS: Record<string, Grammar> = {
  list: { flags: ["--json", "--all"], values: ["--status"], repeated: ["--status"], args: 0 },
  show: { flags: ["--json"], values: [], repeated: [], args: 1 },
  get: { flags: ["--json"], values: [], repeated: [], args: 1 },
  create: {
    flags: ["--json"],
    values: ["--title", "--kind", "--repo", "--description", "--link", "--status", "--priority", "--after"],
    repeated: ["--link", "--after"],
    args: 0
  }
}

const isOneOf = <A extends string>(values: ReadonlyArray<A>, s: string): s is A => (values as ReadonlyArray<string>).includes(s)

/** The command `argv` (node, script, …) names, when it is one the fast path takes as it stands. */
export const parseFast = (argv: ReadonlyArray<string>): FastCommand | undefined => {
  const [group, name] = argv.slice(2)
  if (group !== "task" || name === undefined || !Object.hasOwn(GRAMMARS, name)) return undefined
  const checked = checkArgs(argv.slice(2), PLAIN_CHOICES)
  if ("refused" in checked) return { command: "refused", refusal: checked.refused }
  const rest = checked.args.slice(2)
  const grammar = GRAMMARS[name]!
  const flags = new Set<string>()
  const values = new Map<string, Array<string>>()
  const args: Array<string> = []
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i]!
    if (grammar.flags.includes(token)) {
      if (flags.has(token)) return undefined
      flags.add(token)
    } else if (grammar.values.includes(token)) {
      const value = rest[++i]
      // A value the parser might read otherwise (empty, or like an option) is its to judge.
      if (value === undefined || value === "" || value.startsWith("-")) return undefined
      const seen = values.get(token) ?? []
      if (seen.length > 0 && !grammar.repeated.includes(token)) return undefined
      values.set(token, [...seen, value])
    } else if (token === "" || token.startsWith("-")) {
      return undefined
    } else {
      args.push(token)
    }
  }
  if (args.length !== grammar.args) return undefined
  const one = (option: string) => values.get(option)?.[0]
  const json = flags.has("--json")
  if (name === "list") {
    const status = values.get("--status") ?? []
    const statuses = PLAIN_CHOICES["task list"].status.values
    return status.every((s): s is TaskStatus => isOneOf(statuses, s)) ? { command: "list", status, all: flags.has("--all"), json } : undefined
  }
  if (name === "show" || name === "get") return { command: "show", id: args[0]!, json }
  const title = one("--title")
  const kind = one("--kind") ?? CREATE_DEFAULTS.kind
  const status = one("--status") ?? CREATE_DEFAULTS.status
  const priority = one("--priority") ?? CREATE_DEFAULTS.priority
  const choices = PLAIN_CHOICES["task create"]
  if (
    title === undefined || !isOneOf(choices.kind.values, kind) || !isOneOf(choices.status.values, status) ||
    !isOneOf(choices.priority.values, priority)
  ) return undefined
  return {
    command: "create",
    title,
    kind,
    repo: one("--repo"),
    description: one("--description") ?? CREATE_DEFAULTS.description,
    link: values.get("--link") ?? [],
    status,
    priority,
    after: values.get("--after") ?? [],
    json
  }
}
