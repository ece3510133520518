import { ValidationError } from "@effect/cli"
import * as HelpDoc from "@effect/cli/HelpDoc"
import { Effect, Layer } from "effect"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { HubLive } from "../layers.js"
import { cli } from "./root.js"
import { runProgram, verdictWith } from "./runner.js"

const ANSI = /\u001b\[[0-9;]*m/g

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
 * Options that take a value. @effect/cli quietly ignores a repeated one (`--link`,
 * `--status`) given last with no value; a missing value is a usage error.
 */
const VALUE_OPTIONS = new Set([
  "--title", "--kind", "--repo", "--description", "--link", "--status", "--content", "--author",
  "--url", "--reason", "--after", "--older-than", "--interval"
])

export const missingValue = (argv: ReadonlyArray<string>): string | undefined => {
  const last = argv[argv.length - 1]
  return argv.length > 2 && last !== undefined && VALUE_OPTIONS.has(last)
    ? `Expected a value following option: '${last}' (see --help)`
    : undefined
}

export const runCli = (argv: ReadonlyArray<string>) => {
  const usage = missingValue(argv)
  if (usage !== undefined) {
    process.stderr.write(`hub: ${usage}\n`)
    process.exitCode = 2
    return
  }
  const program = cli(argv).pipe(
    Effect.provide(HubLive),
    // What @effect/cli itself needs (not NodeContext: its command executor and workers are unused).
    Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer))
  )
  runProgram(program, verdict)
}
