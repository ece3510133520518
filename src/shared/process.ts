import * as Command from "@effect/platform/Command"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import { Data, Effect, Stream } from "effect"

export interface ProcessResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** The process could not be run to an exit code: not found, timed out, or killed by a signal. */
export class ProcessFailure extends Data.TaggedError("ProcessFailure")<{
  readonly message: string
  readonly reason: "spawn" | "timeout" | "signal"
}> {}

export interface RunOptions {
  readonly env?: Record<string, string>
  readonly cwd?: string
  readonly timeoutMs: number
  /** How errors name the call (default: the file and its first argument). */
  readonly label?: string
}

const collect = (stream: Stream.Stream<Uint8Array, unknown>) =>
  stream.pipe(Stream.decodeText(), Stream.mkString, Effect.orElseSucceed(() => ""))

/**
 * Runs `file` with an argv array (never a shell), collecting stdout, stderr and the exit
 * code. A non-zero code is a result, not a failure: callers turn it into their own tagged
 * error with stderr in the message. Interruption or the timeout kills the process group.
 */
export const runProcess = (
  file: string,
  args: ReadonlyArray<string>,
  options: RunOptions
): Effect.Effect<ProcessResult, ProcessFailure, CommandExecutor.CommandExecutor> => {
  let command = Command.make(file, ...args).pipe(Command.stdin("inherit"))
  if (options.env) command = Command.env(command, options.env)
  if (options.cwd) command = Command.workingDirectory(command, options.cwd)
  const label = options.label ?? `${file} ${args[0] ?? ""}`.trim()
  return Effect.scoped(
    Effect.gen(function* () {
      const proc = yield* Command.start(command)
      const [stdout, stderr, code] = yield* Effect.all(
        [collect(proc.stdout), collect(proc.stderr), proc.exitCode],
        { concurrency: "unbounded" }
      )
      return { code, stdout, stderr }
    })
  ).pipe(
    Effect.catchTag("SystemError", "BadArgument", (error) =>
      Effect.fail(
        new ProcessFailure({
          reason: error.message.includes("signal") ? "signal" : "spawn",
          message: error._tag === "SystemError" && error.reason === "NotFound"
            ? `${file}: command not found`
            : `${label}: ${error.message}`
        })
      )),
    Effect.timeoutFail({
      duration: options.timeoutMs,
      onTimeout: () => new ProcessFailure({ reason: "timeout", message: `${label}: no answer within ${options.timeoutMs} ms` })
    })
  )
}

/** The first line of stderr that says what went wrong (git's `fatal:`), else the first line. */
export const firstErrorLine = (stderr: string): string => {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l.length > 0)
  return lines.find((l) => /^(fatal|error):/i.test(l)) ?? lines[0] ?? "no message"
}
