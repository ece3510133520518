import { ValidationError } from "@effect/cli"
import * as HelpDoc from "@effect/cli/HelpDoc"
import { Cause, Console, Effect, Either, Exit, FiberId, Layer, Logger, LogLevel, Option } from "effect"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { HubLive } from "../layers.js"
import { messageOf, oneLine } from "../shared/messages.js"
import { checkArgs } from "./argv.js"
import { ANSI, cliText, colourWanted } from "./help.js"
import { printable, Reported } from "./output.js"
import { cli } from "./root.js"
import { signalExitCode } from "./signals.js"

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
  process.stderr.write(`${date.toISOString()} ${logLevel.label.toLowerCase()} ${printable(oneLine(text))}\n`)
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
  const checked = checkArgs(argv.slice(2))
  if (Either.isLeft(checked)) {
    process.stderr.write(`hub: ${printable(checked.left.message)}\n`)
    process.exitCode = checked.left.code
    return
  }
  const program = cli([...argv.slice(0, 2), ...checked.right]).pipe(
    Effect.provide(HubLive),
    // What @effect/cli itself needs (not NodeContext: its command executor and workers are unused).
    Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)),
    Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
    Logger.withMinimumLogLevel(LogLevel.Warning),
    withHubConsole
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
    if (message) process.stderr.write(`hub: ${printable(message)}\n`)
    if (resend !== undefined) clearInterval(resend)
    process.removeListener("SIGINT", onSignal)
    process.removeListener("SIGTERM", onSignal)
    process.exitCode = code
  })
}
