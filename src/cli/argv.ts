/**
 * What hub checks in the command line before any parser sees it, where @effect/cli's own
 * answer would be wrong for hub: a value option given last without its value, and a value
 * outside an option's choices. Plain code, importing no library: the full CLI (run.ts) and
 * the fast path (fastArgs.ts, before Effect is loaded) both check with it, so both refuse
 * the same command lines with the same words.
 */
import { type ChoiceTable, choicesIn } from "./choices.js"
import { printable } from "./printable.js"

/** Options that take a value (the word after them, or `--name=value`). */
const VALUE_OPTIONS = new Set([
  "--title", "--kind", "--repo", "--description", "--link", "--status", "--content", "--author",
  "--url", "--reason", "--after", "--priority", "--older-than", "--interval", "--to"
])

/** Why the command line is refused before parsing: a usage error (2) or a refused value (1). */
export interface ArgvRefusal {
  readonly code: 1 | 2
  readonly message: string
}

/** The command line to parse (choices in their canonical case), or why there is none. */
export type CheckedArgs = { readonly args: ReadonlyArray<string> } | { readonly refused: ArgvRefusal }

/**
 * @effect/cli quietly ignores a repeated option (`--link`, `--status`) given last with no value;
 * a missing value is a usage error.
 */
const missingValue = (args: ReadonlyArray<string>): ArgvRefusal | undefined => {
  const last = args[args.length - 1]
  return last !== undefined && VALUE_OPTIONS.has(last)
    ? { code: 2, message: `Expected a value following option: '${last}' (see --help)` }
    : undefined
}

/**
 * A value outside an option's choices is a value the domain rejects: a refusal (exit 1) naming
 * the valid ones, where @effect/cli would make it a usage error. A valid value in any letter
 * case is given to the parser in the case its choice expects.
 */
const canonicalChoices = (args: ReadonlyArray<string>, table: ChoiceTable): CheckedArgs => {
  const command = args.slice(0, 2).join(" ").toLowerCase()
  const choices = choicesIn(table, command)
  if (choices === undefined) return { args }
  const out = [...args]
  for (let i = 2; i < out.length; i++) {
    const arg = out[i]!
    if (arg === "--") break
    const eq = arg.indexOf("=")
    const flag = (eq > 0 ? arg.slice(0, eq) : arg).toLowerCase()
    if (!VALUE_OPTIONS.has(flag)) continue
    // The option's value: after `=`, or the next word (which is then no option itself).
    const at = eq > 0 ? i : ++i
    const value = eq > 0 ? arg.slice(eq + 1) : out[at]
    const name = flag.slice(2)
    const choice = Object.hasOwn(choices, name) ? choices[name] : undefined
    if (choice === undefined || value === undefined) continue
    const canonical = choice.values.find((v) => v === value.trim().toLowerCase())
    if (canonical === undefined) {
      return { refused: { code: 1, message: `not ${choice.what}: '${value}' (one of: ${choice.values.join(", ")})` } }
    }
    out[at] = eq > 0 ? `${arg.slice(0, eq)}=${canonical}` : canonical
  }
  return { args: out }
}

/**
 * The command line (without node and the script) as the parser is to see it, or why not;
 * `table` holds the choices (options.ts's CHOICES has every command's).
 */
export const checkArgs = (args: ReadonlyArray<string>, table: ChoiceTable): CheckedArgs => {
  const missing = missingValue(args)
  return missing === undefined ? canonicalChoices(args, table) : { refused: missing }
}

/** Says a refusal as every hub error is said (one line on stderr) and sets the exit code. */
export const refuse = (refusal: ArgvRefusal) => {
  process.stderr.write(`hub: ${printable(refusal.message)}\n`)
  process.exitCode = refusal.code
}
