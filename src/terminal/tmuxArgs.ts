/**
 * tmux parses its argv as a command sequence: an argument that ends in `;` separates
 * commands, even inside `-e NAME=value`, and tmux strips one backslash before such a `;`.
 * Every argument that carries data goes through here.
 */
export const escapeArg = (arg: string): string => (arg.endsWith(";") ? `${arg.slice(0, -1)}\\;` : arg)

/** `-c DIR` is format-expanded (`#(cmd)` would run a shell): a literal `#` is `##`. */
export const escapeFormat = (value: string): string => escapeArg(value.replaceAll("#", "##"))

/** `-e NAME=value` pairs for new-window, escaped. */
export const envArgs = (env: Readonly<Record<string, string>>): Array<string> =>
  Object.entries(env).flatMap(([name, value]) => ["-e", escapeArg(`${name}=${value}`)])

/** `-L socket`, or nothing for the default server. */
export const socketArgs = (socket: string | null): Array<string> => (socket === null ? [] : ["-L", socket])
