/**
 * What @effect/cli prints itself, through `Console.log`: help and completion scripts.
 *
 * Its help is in colour, and opens the help of every option and argument with a sentence about
 * its type that says nothing about it ("A user-defined piece of text."). hub's help drops those
 * sentences (each option says what it means), and the colour too unless stdout is a terminal
 * and NO_COLOR is unset.
 */

/** Terminal control sequences (CSI … final byte): @effect/cli's bold and colours. */
export const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]/g

const TYPE_SENTENCES = new Set(["A user-defined piece of text.", "A true or false value."])

/** Colour only on a terminal, and never with NO_COLOR set to anything (no-color.org). */
export const colourWanted = (isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean =>
  isTTY === true && (env.NO_COLOR ?? "") === ""

export const cleanHelp = (text: string, colour: boolean): string => {
  const lines = text.split("\n")
  const kept: Array<string> = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (TYPE_SENTENCES.has(line.replace(ANSI, "").trim())) {
      // The sentence is a paragraph of its own: its blank line goes with it.
      if (lines[i + 1]?.trim() === "") i++
      continue
    }
    kept.push(line)
  }
  const clean = kept.join("\n")
  return colour ? clean : clean.replace(ANSI, "")
}

/**
 * @effect/cli 0.77's bash script completes nothing below `hub task`: its case patterns for a
 * sub-subcommand (`hub,task,create)`) never match the `${cmd},${i}` they are tested against
 * (`hub__task,create`), and its choice lists are joined with commas, which `compgen -W` takes
 * as one word. Both mended here; the zsh and fish scripts are right as they are.
 */
export const mendBashCompletions = (script: string): string =>
  script
    .replace(/^(\s*)([^\s,()"]+(?:,[^\s,()"]+){2,})\)$/gm, (_, indent: string, path: string) => {
      const words = path.split(",")
      return `${indent}${words.slice(0, -1).join("__")},${words[words.length - 1]})`
    })
    .replace(/compgen -W "([^"$]*)"/g, (_, words: string) => `compgen -W "${words.replaceAll(",", " ")}"`)

/** The text @effect/cli prints, as hub prints it. */
export const cliText = (text: string, colour: boolean): string =>
  text.startsWith("function _hub_bash_completions()") ? mendBashCompletions(text) : cleanHelp(text, colour)
