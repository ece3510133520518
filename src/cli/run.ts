import { ValidationError } from "@effect/cli"
import * as HelpDoc from "@effect/cli/HelpDoc"
import { Console, Effect, Layer } from "effect"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { HubDaemonLive, HubLive } from "../layers.js"
import { checkArgs, refuse } from "./argv.js"
import { ANSI, cliText, colourWanted } from "./help.js"
import { CHOICES } from "./options.js"
import { cli } from "./root.js"
import { runProgram, verdictWith } from "./runner.js"

/** @effect/cli prints multi-line help on a usage error; hub prints one line instead. */
const usageLine = (error: ValidationError.ValidationError): string => {
  const doc = (error as { readonly error?: HelpDoc.HelpDoc }).error
  const text: string = doc ? HelpDoc.toAnsiText(doc).replace(ANSI, "") : (error as { readonly _tag: string })._tag
  const line = text.split("\n").map((l: string) => l.trim()).filter((l: string) => l !== "").join(" ")
  return line === "" ? "invalid usage (see hub --help)" : `${line} (see --help)`
}

/** What the process says and which code it exits with, for every way a command can end. */
export const verdict = verdictWith((error) => {
  if (!ValidationError.isValidationError(error)) return undefined
  if (ValidationError.isHelpRequested(error)) return { code: 0 }
  return { code: 2, message: usageLine(error) }
})

/**
 * @effect/cli's own printing: its errors (multi-line help) are swallowed, hub prints one line
 * itself; its help and completion scripts are mended (see help.ts).
 */
const withHubConsole = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Console.consoleWith((console) => {
    const colour = colourWanted(process.stdout.isTTY, process.env)
    return Effect.withConsole(effect, {
      ...console,
      log: (...args) => console.log(...args.map((a) => (typeof a === "string" ? cliText(a, colour) : a))),
      error: () => Effect.void
    })
  })

export const runCli = (argv: ReadonlyArray<string>) => {
  const checked = checkArgs(argv.slice(2), CHOICES)
  if ("refused" in checked) return refuse(checked.refused)
  const program = cli([...argv.slice(0, 2), ...checked.args]).pipe(
    // The daemon waits out a database that is down (layers.ts); any other command says so.
    Effect.provide(checked.args[0] === "daemon" ? HubDaemonLive : HubLive),
    // What @effect/cli itself needs (not NodeContext: its command executor and workers are unused).
    Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)),
    withHubConsole
  )
  runProgram(program, verdict)
}
