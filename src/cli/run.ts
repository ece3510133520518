import { ValidationError } from "@effect/cli"
import * as HelpDoc from "@effect/cli/HelpDoc"
import { Cause, Console, Effect, Exit, FiberId, Layer, Logger, LogLevel, Option } from "effect"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { HubLive } from "../layers.js"
import { messageOf, oneLine } from "../shared/messages.js"
import { Reported } from "./output.js"
import { cli } from "./root.js"
import { signalExitCode } from "./signals.js"

const ANSI = /\u001b\[[0-9;]*m/g

/** @effect/cli prints multi-line help on a usage error; hub prints one line instead. */
const usageLine = (error: ValidationError.ValidationError): string => {
  const doc = (error as { readonly error?: HelpDoc.HelpDoc }).error
  const text: string = doc ? HelpDoc.toAnsiText(doc).replace(ANSI, "") : (error as { readonly _tag: string })._tag
  const line = text.split("\n").map((l: string) => l.trim()).filter((l: string) => l !== "").join(" ")
  return line === "" ? "invalid usage (see hub --help)" : `${line} (see --help)`
}

/** What the process says and which code it exits with, for every way a command can end. */
export const verdict = (exit: Exit.Exit<void, unknown>): { readonly code: number; readonly message?: string } => {
  if (Exit.isSuccess(exit)) return { code: 0 }
  const cause = exit.cause
  if (Cause.isInterruptedOnly(cause)) return { code: signalExitCode }
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (error instanceof Reported) return { code: error.code }
    if (ValidationError.isValidationError(error)) {
      if (ValidationError.isHelpRequested(error)) return { code: 0 }
      return { code: 2, message: usageLine(error) }
    }
    return { code: 1, message: messageOf(error) }
  }
  const defect = Cause.squash(cause)
  return { code: 1, message: `internal error: ${messageOf(defect)}` }
}

/** Log lines go to stderr, one per line, and never mix with stdout's data. */
const logger = Logger.make(({ logLevel, message, date }) => {
  const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
  process.stderr.write(`${date.toISOString()} ${logLevel.label.toLowerCase()} ${oneLine(text)}\n`)
})

/** Swallows @effect/cli's own error printing (multi-line help); hub prints one line itself. */
const withQuietErrors = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Console.consoleWith((console) => Effect.withConsole(effect, { ...console, error: () => Effect.void }))

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
    Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)),
    Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
    Logger.withMinimumLogLevel(LogLevel.Warning),
    withQuietErrors
  )
  const fiber = Effect.runFork(program)
  // Keep both listeners until the end: finalizers are uninterruptible, so a further signal
  // cannot cut one short, and it re-sends the interruption in case one was lost; so does a
  // timer, once a second, until the program has ended.
  let resend: NodeJS.Timeout | undefined
  const onSignal = () => {
    fiber.unsafeInterruptAsFork(FiberId.none)
    resend ??= setInterval(() => fiber.unsafeInterruptAsFork(FiberId.none), 1000)
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  fiber.addObserver((exit) => {
    const { code, message } = verdict(exit)
    if (message) process.stderr.write(`hub: ${message}\n`)
    if (resend !== undefined) clearInterval(resend)
    process.removeListener("SIGINT", onSignal)
    process.removeListener("SIGTERM", onSignal)
    process.exitCode = code
  })
}
