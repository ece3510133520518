import { spawn } from "node:child_process"
import { Data, Effect } from "effect"

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

/** Kills the process group of a detached child (its shims and their sleeps too). */
const killGroup = (pid: number | undefined) => {
  if (pid === undefined) return
  try {
    process.kill(-pid, "SIGKILL")
  } catch {
    // Already gone.
  }
}

/**
 * Runs `file` with an argv array (never a shell), collecting stdout, stderr and the exit
 * code. A non-zero code is a result, not a failure: callers turn it into their own tagged
 * error with stderr in the message. Interruption or the timeout kills the process group.
 *
 * Built on `child_process.spawn` rather than @effect/platform's `Command`: hub runs git and
 * tmux a handful of times per dispatch, and Command's Stream and scope machinery per process
 * cost more than the process itself (docs/PERFORMANCE.md). The contract is the same.
 */
export const runProcess = (
  file: string,
  args: ReadonlyArray<string>,
  options: RunOptions
): Effect.Effect<ProcessResult, ProcessFailure> => {
  const label = options.label ?? `${file} ${args[0] ?? ""}`.trim()
  return Effect.async<ProcessResult, ProcessFailure>((resume) => {
    let settled = false
    const settle = (result: Effect.Effect<ProcessResult, ProcessFailure>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resume(result)
    }
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: ["inherit", "pipe", "pipe"],
      // Its own process group, so a timeout or an interruption can end what it started.
      detached: true
    })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
    const timer = setTimeout(() => {
      killGroup(child.pid)
      settle(Effect.fail(new ProcessFailure({ reason: "timeout", message: `${label}: no answer within ${options.timeoutMs} ms` })))
    }, options.timeoutMs)
    child.on("error", (error: NodeJS.ErrnoException) =>
      settle(Effect.fail(
        new ProcessFailure({
          reason: "spawn",
          message: error.code === "ENOENT" ? `${file}: command not found` : `${label}: ${error.message}`
        })
      )))
    // `close` comes after both pipes have ended: the output is whole.
    child.on("close", (code, signal) =>
      settle(
        code === null
          ? Effect.fail(new ProcessFailure({ reason: "signal", message: `${label}: killed by ${signal ?? "a signal"}` }))
          : Effect.succeed({
            code,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(err).toString("utf8")
          })
      ))
    return Effect.sync(() => {
      settled = true
      clearTimeout(timer)
      killGroup(child.pid)
    })
  })
}

/** The first line of stderr that says what went wrong (git's `fatal:`), else the first line. */
export const firstErrorLine = (stderr: string): string => {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l.length > 0)
  return lines.find((l) => /^(fatal|error):/i.test(l)) ?? lines[0] ?? "no message"
}
