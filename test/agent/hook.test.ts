/** `hub agent hook`: the fast path an agent's hooks call, as a function and as the bin runs it. */
import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Readable } from "node:stream"
import { runHook, SESSION_FILE, SIGNALS_FILE } from "../../src/agent/hook.js"
import { sessionIdFor } from "../../src/agent/session.js"
import { listenForPokes } from "../../src/shared/wake.js"
import { BIN, makeSandbox, type Sandbox } from "../support/sandbox.js"

const TASK = "TASK-0001"
const STOP = JSON.stringify({ session_id: "c", transcript_path: "/t", cwd: "/w", hook_event_name: "Stop" })

/** A sandbox whose task has run folders for attempts 1 and 2 (2 is current). */
const withAttempts = (name: string) => {
  const sandbox = makeSandbox(name)
  for (const n of [1, 2]) {
    const dir = path.join(sandbox.hubHome, "runs", TASK, String(n))
    fs.mkdirSync(dir, { recursive: true })
    // As Agent.launch writes it: what a hook's HUB_SESSION_ID must match.
    fs.writeFileSync(path.join(dir, SESSION_FILE), sessionIdFor(TASK, n))
  }
  return sandbox
}

const windowEnv = (sandbox: Sandbox, attempt: number): NodeJS.ProcessEnv => ({
  HUB_HOME: sandbox.hubHome,
  HUB_TASK_ID: TASK,
  HUB_SESSION_ID: sessionIdFor(TASK, attempt),
  HUB_RUN_DIR: path.join(sandbox.hubHome, "runs", TASK, String(attempt))
})

const signals = (sandbox: Sandbox, attempt: number) => {
  const file = path.join(sandbox.hubHome, "runs", TASK, String(attempt), SIGNALS_FILE)
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l)) : []
}

const hook = async (env: NodeJS.ProcessEnv, stdin: string, args: ReadonlyArray<string> = []) => {
  const warnings: Array<string> = []
  await runHook({ args, env, stdin: Readable.from([stdin]), warn: (l) => void warnings.push(l), now: () => new Date("2026-12-01T10:00:00Z") })
  return warnings
}

describe("runHook", () => {
  it("records the signal in the current attempt's run folder, with the agent's session and transcript, nothing else, and warns of nothing", async () => {
    const sandbox = withAttempts("hook-ok")
    try {
      expect(await hook(windowEnv(sandbox, 2), STOP)).toEqual([])
      // The session id (for a later --resume) and the transcript (for its tokens) ride along.
      expect(signals(sandbox, 2)).toEqual([{ _tag: "idle", at: "2026-12-01T10:00:00.000Z", session_id: "c", transcript_path: "/t" }])
      expect(signals(sandbox, 1)).toEqual([])
      expect(fs.statSync(path.join(sandbox.hubHome, "runs", TASK, "2", SIGNALS_FILE)).mode & 0o777).toBe(0o600)
    } finally {
      sandbox.dispose()
    }
  })

  it("finds the attempt by its session id when HUB_RUN_DIR is missing; reads JSON given as the last argument (Codex's notify)", async () => {
    const sandbox = withAttempts("hook-args")
    try {
      const { HUB_RUN_DIR: _, ...env } = windowEnv(sandbox, 2)
      expect(await hook(env, "", [JSON.stringify({ type: "agent-turn-complete", "thread-id": "t" })])).toEqual([])
      expect(signals(sandbox, 2)).toMatchObject([{ _tag: "idle" }])
    } finally {
      sandbox.dispose()
    }
  })

  it("a hook of an older attempt writes only to that attempt's folder, which nothing reads: the current one is untouched", async () => {
    const sandbox = withAttempts("hook-stale")
    try {
      expect(await hook(windowEnv(sandbox, 1), STOP)).toEqual([])
      expect(signals(sandbox, 2)).toEqual([])
    } finally {
      sandbox.dispose()
    }
  })

  it.each([
    ["garbage on stdin", (s: Sandbox) => windowEnv(s, 2), "{not json", /stdin is not JSON/],
    ["empty stdin", (s: Sandbox) => windowEnv(s, 2), "", /nothing on stdin/],
    ["a session that is no attempt's", (s: Sandbox) => ({ ...windowEnv(s, 2), HUB_SESSION_ID: "forged", HUB_RUN_DIR: "" }), STOP, /no attempt of TASK-0001 has session forged/],
    ["a task with no attempt", (s: Sandbox) => ({ ...windowEnv(s, 2), HUB_TASK_ID: "TASK-0009", HUB_RUN_DIR: "" }), STOP, /TASK-0009 has no attempt here/],
    ["outside a hub window", () => ({}), STOP, /not inside a hub window/]
  ] as const)("%s: one warning, nothing written", async (_what, env, stdin, warning) => {
    const sandbox = withAttempts("hook-bad")
    try {
      const warnings = await hook(env(sandbox), stdin)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(warning)
      expect(signals(sandbox, 1)).toEqual([])
      expect(signals(sandbox, 2)).toEqual([])
      expect(fs.readdirSync(path.join(sandbox.hubHome, "runs"))).toEqual([TASK])
    } finally {
      sandbox.dispose()
    }
  })

  it("an event that tells nothing of the agent's state is not recorded, and is no warning", async () => {
    const sandbox = withAttempts("hook-quiet")
    try {
      expect(await hook(windowEnv(sandbox, 2), JSON.stringify({ hook_event_name: "PreCompact" }))).toEqual([])
      expect(signals(sandbox, 2)).toEqual([])
    } finally {
      sandbox.dispose()
    }
  })

  it("pokes a listening daemon", async () => {
    const sandbox = withAttempts("hook-poke")
    try {
      let poked!: () => void
      const heard = new Promise<void>((resolve) => (poked = resolve))
      const listener = await listenForPokes(sandbox.hubHome, () => poked())
      try {
        await hook(windowEnv(sandbox, 2), STOP)
        await heard
      } finally {
        listener.close()
      }
    } finally {
      sandbox.dispose()
    }
  })
})

/** The bin as Claude Code runs a command hook: JSON on stdin, the window's environment. */
const runBin = (env: NodeJS.ProcessEnv, stdin: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, "agent", "hook"], { env: { PATH: process.env.PATH, ...env }, stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })

describe("hub agent hook (the bin)", () => {
  it("exits 0 and prints nothing on stdout, whether it recorded the hook or refused it", async () => {
    const sandbox = withAttempts("hook-bin")
    try {
      const ok = await runBin(windowEnv(sandbox, 2), STOP)
      expect(ok).toEqual({ code: 0, stdout: "", stderr: "" })
      expect(signals(sandbox, 2)).toMatchObject([{ _tag: "idle" }])
      for (const [env, stdin] of [[windowEnv(sandbox, 2), "garbage"], [{}, STOP], [{ ...windowEnv(sandbox, 2), HUB_HOME: path.join(sandbox.dir, "nowhere") }, STOP]] as const) {
        const refused = await runBin(env, stdin)
        expect(refused.code).toBe(0)
        expect(refused.stdout).toBe("")
        expect(refused.stderr.trimEnd().split("\n")).toHaveLength(1)
      }
    } finally {
      sandbox.dispose()
    }
  })

  it("a HUB_HOME it cannot write (a file where the run folder should be): exit 0, one line, nothing changed", async () => {
    const sandbox = withAttempts("hook-unusable")
    try {
      const folder = path.join(sandbox.hubHome, "runs", TASK, "2")
      fs.mkdirSync(path.join(folder, SIGNALS_FILE))
      const result = await runBin(windowEnv(sandbox, 2), STOP)
      expect(result.code).toBe(0)
      expect(result.stdout).toBe("")
      expect(result.stderr).toMatch(/^hub agent hook: .*EISDIR.*; ignored\n$/)
    } finally {
      sandbox.dispose()
    }
  })
})

describe("hub agent hook through the whole CLI", () => {
  it("has help of its own, and records a report given as its argument like the fast path", async () => {
    const sandbox = withAttempts("hook-cli")
    try {
      const help = await sandbox.hub(["agent", "hook", "--help"])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain("always exits 0, prints nothing on stdout")
      const done = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        // Four arguments after the bin: the launcher leaves this to the whole CLI.
        const child = spawn(process.execPath, [BIN, "agent", "hook", JSON.stringify({ state: "busy", message: "x" }), "--"], {
          env: { PATH: process.env.PATH, ...windowEnv(sandbox, 2) }, stdio: ["ignore", "pipe", "pipe"]
        })
        let stdout = ""
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
        child.on("close", (code) => resolve({ code, stdout }))
      })
      expect(done.code).toBe(0)
      expect(done.stdout).toBe("")
      expect(signals(sandbox, 2)).toMatchObject([{ _tag: "busy", doing: "x" }])
    } finally {
      sandbox.dispose()
    }
  })
})
