/**
 * How a command runs as a process, whichever way it was parsed (the full CLI in run.ts or
 * the fast path in fast.ts): log lines on stderr, one line per failure (control characters
 * escaped), the exit code, and SIGINT/SIGTERM as an interruption. Nothing here imports
 * @effect/cli; what @effect/cli prints itself (help) run.ts mends.
 */
import { Cause, Effect, Exit, FiberId, Logger, LogLevel, Option } from "effect"
import { messageOf, oneLine } from "../shared/messages.js"
import { Reported } from "./output.js"
import { printable } from "./printable.js"
import { signalExitCode } from "./signals.js"

export interface Verdict {
  readonly code: number
  readonly message?: string
}

/**
 * What the process says and which code it exits with, for every way a command can end;
 * `usage` answers for the failures that are the parser's own (none on the fast path).
 */
export const verdictWith = (usage: (error: unknown) => Verdict | undefined) =>
(exit: Exit.Exit<void, unknown>): Verdict => {
  if (Exit.isSuccess(exit)) return { code: 0 }
  const cause = exit.cause
  if (Cause.isInterruptedOnly(cause)) return { code: signalExitCode }
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (error instanceof Reported) return { code: error.code }
    return usage(error) ?? { code: 1, message: messageOf(error) }
  }
  const defect = Cause.squash(cause)
  return { code: 1, message: `internal error: ${messageOf(defect)}` }
}

/** Log lines go to stderr, one per line, and never mix with stdout's data. */
const logger = Logger.make(({ logLevel, message, date }) => {
  const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
  process.stderr.write(`${date.toISOString()} ${logLevel.label.toLowerCase()} ${printable(oneLine(text))}\n`)
})

/** Runs a command's program as the process: its verdict becomes stderr's line and the exit code. */
export const runProgram = (program: Effect.Effect<void, unknown>, verdict: (exit: Exit.Exit<void, unknown>) => Verdict) => {
  const fiber = Effect.runFork(program.pipe(
    Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
    Logger.withMinimumLogLevel(LogLevel.Warning)
  ))
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
