import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, Fiber } from "effect"
import { runProcess } from "../../src/shared/process.js"
import { waitFor } from "../support/sandbox.js"

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A shell that records the pid of a grandchild `sleep` in `file`, then waits on it. */
const sleeperScript = (file: string) => `sleep 60 & echo $! > '${file}'; wait`

describe("runProcess", () => {
  it.effect("returns the exit code, stdout and stderr whole; a non-zero code is a result", () =>
    Effect.gen(function* () {
      const r = yield* runProcess("sh", ["-c", "printf 'a\\nb'; printf 'oops' >&2; exit 3"], { timeoutMs: 10_000 })
      expect(r).toEqual({ code: 3, stdout: "a\nb", stderr: "oops" })
      const big = yield* runProcess("sh", ["-c", "head -c 300000 /dev/zero | tr '\\0' x"], { timeoutMs: 10_000 })
      expect(big.stdout.length).toBe(300_000)
    }))

  it.effect("passes argv untouched (no shell) with the given cwd and env on top of the process's", () =>
    Effect.gen(function* () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-proc-"))
      const r = yield* runProcess("sh", ["-c", "printf '%s|%s|%s|%s' \"$1\" \"$PWD\" \"$HUB_X\" \"$HOME\"", "sh", "$(touch x); `y`"], {
        timeoutMs: 10_000,
        cwd: dir,
        env: { HUB_X: "set" }
      })
      expect(r.stdout).toBe(`$(touch x); \`y\`|${fs.realpathSync(dir)}|set|${process.env.HOME}`)
      expect(fs.readdirSync(dir)).toEqual([])
      fs.rmSync(dir, { recursive: true })
    }))

  it.effect("a missing program is a spawn failure naming it", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(runProcess("hub-no-such-program", [], { timeoutMs: 10_000 }))
      expect(exit).toEqual(Exit.fail(expect.objectContaining({ reason: "spawn", message: "hub-no-such-program: command not found" })))
    }))

  it.live("the timeout fails with its label and kills the whole process group", () =>
    Effect.gen(function* () {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hub-proc-")), "pid")
      const exit = yield* Effect.exit(runProcess("sh", ["-c", sleeperScript(file)], { timeoutMs: 1_000, label: "sh slow" }))
      expect(exit).toEqual(Exit.fail(expect.objectContaining({ reason: "timeout", message: "sh slow: no answer within 1000 ms" })))
      expect(fs.existsSync(file)).toBe(true)
      const grandchild = Number(fs.readFileSync(file, "utf8"))
      expect(yield* Effect.promise(() => waitFor(() => !alive(grandchild), 5_000))).toBe(true)
    }))

  it.live("an interruption kills the whole process group", () =>
    Effect.gen(function* () {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hub-proc-")), "pid")
      const fiber = yield* Effect.fork(runProcess("sh", ["-c", sleeperScript(file)], { timeoutMs: 60_000 }))
      expect(yield* Effect.promise(() => waitFor(() => fs.existsSync(file) && fs.readFileSync(file, "utf8").trim() !== "", 10_000))).toBe(true)
      const grandchild = Number(fs.readFileSync(file, "utf8"))
      expect(alive(grandchild)).toBe(true)
      yield* Fiber.interrupt(fiber)
      expect(yield* Effect.promise(() => waitFor(() => !alive(grandchild), 5_000))).toBe(true)
    }))

  it.effect("a process killed by a signal is a failure, not an exit code", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(runProcess("sh", ["-c", "kill -9 $$"], { timeoutMs: 10_000, label: "sh" }))
      expect(exit).toEqual(Exit.fail(expect.objectContaining({ reason: "signal", message: "sh: killed by SIGKILL" })))
    }))
})
