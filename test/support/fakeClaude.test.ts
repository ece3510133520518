/**
 * The stand-in `claude` itself, against tiny handlers that write what they got to a file. Each
 * test has its own HOME and working folder; nothing here reads or writes the real ~/.claude.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { DEFAULT_AGENT_COMMAND } from "../../src/agent/Agent.js"
import {
  type ClaudeStep,
  FAKE_CLAUDE_BIN,
  handlerRuns,
  readClaudeLog,
  SKIP_BYPASS_WARNING,
  transcriptPathFor,
  trustFolder,
  waitForRecord,
  writeScript
} from "./fakeClaude.js"
import { waitFor } from "./sandbox.js"

const SESSION = "5f0c5b6e-8c1d-5a3e-9f4b-2a7d6c1e0b9a"

interface World {
  readonly dir: string
  readonly home: string
  readonly work: string
  readonly log: string
  readonly out: string
}

const worlds: Array<World> = []
afterAll(() => {
  for (const w of worlds.splice(0)) fs.rmSync(w.dir, { recursive: true, force: true })
})

const world = (): World => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-fake-claude-"))
  const w = { dir, home: path.join(dir, "home"), work: path.join(dir, "work"), log: path.join(dir, "claude.log"), out: path.join(dir, "out") }
  fs.mkdirSync(w.home, { recursive: true })
  fs.mkdirSync(w.work, { recursive: true })
  trustFolder(w.home, fs.realpathSync(w.work))
  worlds.push(w)
  return w
}

type Groups = Record<string, Array<{ readonly matcher?: string; readonly hooks: Array<Record<string, unknown>> }>>

const writeSettings = (file: string, hooks: Groups, extra: Record<string, unknown> = {}) => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify({ ...extra, hooks }))
  return file
}

/** A handler that appends its stdin, one JSON object a line, to $OUT. */
const appendStdin = { type: "command", command: "cat >> \"$OUT\"; echo >> \"$OUT\"" }

const inputs = (w: World): Array<Record<string, unknown>> =>
  fs.existsSync(w.out) ? fs.readFileSync(w.out, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l)) : []

interface Run {
  readonly done: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stdout: string; readonly stderr: string }>
  readonly pid: number
  readonly closeStdin: () => void
}

/** Starts the stand-in by name from PATH, as hub's window command would. */
const claude = (
  w: World,
  options: { readonly args?: ReadonlyArray<string>; readonly steps?: ReadonlyArray<ClaudeStep>; readonly env?: NodeJS.ProcessEnv; readonly shell?: string } = {}
): Run => {
  const env: NodeJS.ProcessEnv = {
    PATH: `${FAKE_CLAUDE_BIN}:${process.env.PATH}`,
    HOME: w.home,
    OUT: w.out,
    HUB_FAKE_CLAUDE_LOG: w.log,
    // A machine Claude Code counts as a sandbox, where root may bypass permissions (the refusal
    // has a test of its own).
    IS_SANDBOX: "1",
    ...(options.steps ? { HUB_FAKE_CLAUDE_SCRIPT: writeScript(w.dir, options.steps) } : {}),
    ...options.env
  }
  const child = options.shell === undefined
    ? spawn("claude", ["--session-id", SESSION, ...(options.args ?? [])], { cwd: w.work, env, stdio: ["pipe", "pipe", "pipe"] })
    : spawn("sh", ["-c", options.shell], { cwd: w.work, env, stdio: ["pipe", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
  const done = new Promise<Awaited<Run["done"]>>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })))
  return { done, pid: child.pid!, closeStdin: () => child.stdin.end() }
}

const events = (w: World) => readClaudeLog(w.log).flatMap((r) => (r.kind === "event" ? [r.event] : []))

describe.concurrent("the stand-in claude", () => {
  it("runs a shell-form handler with the event's JSON on stdin, and records its run", async () => {
    const w = world()
    const settings = writeSettings(path.join(w.dir, "hub-settings.json"), { PreToolUse: [{ matcher: "Bash", hooks: [appendStdin] }] }, SKIP_BYPASS_WARNING)
    const r = await claude(w, { args: ["--settings", settings, "--dangerously-skip-permissions"], steps: [{ tool: "Bash", input: { command: "ls" } }, { exit: 0 }] }).done
    expect(r.code).toBe(0)
    const [input] = inputs(w)
    expect(input).toMatchObject({
      session_id: SESSION,
      transcript_path: transcriptPathFor(path.join(w.home, ".claude"), fs.realpathSync(w.work), SESSION),
      cwd: fs.realpathSync(w.work),
      hook_event_name: "PreToolUse",
      permission_mode: "bypassPermissions",
      tool_name: "Bash",
      tool_input: { command: "ls" }
    })
    expect(input!.tool_use_id).toMatch(/^toolu_/)
    const [run] = handlerRuns(w.log, "PreToolUse")
    expect(run).toMatchObject({ source: "flag", async: false, exitCode: 0, stdout: "", stderr: "" })
  })

  it("runs an exec-form handler without a shell: args verbatim, placeholders substituted", async () => {
    const w = world()
    const settings = writeSettings(path.join(w.dir, "s.json"), {
      Stop: [{
        hooks: [{
          type: "command",
          command: "node",
          args: ["-e", "const fs=require('fs');fs.writeFileSync(process.env.OUT, JSON.stringify({argv:process.argv.slice(1),stdin:fs.readFileSync(0,'utf8')}))", "${CLAUDE_PROJECT_DIR}/a b", "$HOME `x`"]
        }]
      }]
    })
    const r = await claude(w, { args: ["--settings", settings], steps: [{ event: "Stop" }, { exit: 0 }] }).done
    expect(r.code).toBe(0)
    const got = JSON.parse(fs.readFileSync(w.out, "utf8"))
    expect(got.argv).toEqual([`${fs.realpathSync(w.work)}/a b`, "$HOME `x`"])
    expect(JSON.parse(got.stdin)).toMatchObject({ hook_event_name: "Stop", stop_hook_active: false })
  })

  it("does not wait for an async handler, and exits only once it has ended", async () => {
    const w = world()
    const started = path.join(w.dir, "started")
    const gate = path.join(w.dir, "gate")
    const reached = path.join(w.dir, "reached")
    const settings = writeSettings(path.join(w.dir, "s.json"), {
      PostToolUse: [{ hooks: [{ type: "command", command: `touch '${started}'; while [ ! -e '${gate}' ]; do sleep 0.02; done; cat > "$OUT"`, async: true }] }]
    })
    const run = claude(w, { args: ["--settings", settings], steps: [{ tool: "Bash" }, { waitFor: started }, { run: `touch '${reached}'` }, { exit: 0 }] })
    // The script went on past the tool while the async handler was still held on the gate.
    expect(await waitFor(() => fs.existsSync(reached), 5_000, 20)).toBe(true)
    expect(handlerRuns(w.log, "PostToolUse")).toEqual([])
    fs.writeFileSync(gate, "")
    const r = await run.done
    expect(r.code).toBe(0)
    expect(handlerRuns(w.log, "PostToolUse")).toMatchObject([{ async: true, exitCode: 0 }])
    expect(JSON.parse(fs.readFileSync(w.out, "utf8"))).toMatchObject({ hook_event_name: "PostToolUse", tool_name: "Bash" })
  })

  it("matches tool names exactly, as lists and as regular expressions; notifications by type; SessionStart by source", async () => {
    const w = world()
    const tag = (name: string) => ({ type: "command", command: `echo ${name} >> "$OUT"` })
    const settings = writeSettings(path.join(w.dir, "s.json"), {
      PreToolUse: [
        { matcher: "Bash", hooks: [tag("bash")] },
        { matcher: "Edit|Write", hooks: [tag("edit-or-write")] },
        { matcher: "Edit", hooks: [tag("edit-exact")] },
        { matcher: "Edit.*", hooks: [tag("edit-regex")] },
        { matcher: "*", hooks: [tag("all")] }
      ],
      Notification: [{ matcher: "idle_prompt", hooks: [tag("idle")] }, { matcher: "permission_prompt", hooks: [tag("permission")] }],
      SessionStart: [{ matcher: "resume", hooks: [tag("resumed")] }, { matcher: "startup", hooks: [tag("started")] }]
    })
    const r = await claude(w, {
      args: ["--settings", settings],
      steps: [
        { event: "SessionStart" },
        { tool: "NotebookEdit" },
        { tool: "Bash" },
        { notification: "idle_prompt", message: "Claude is waiting for your input" },
        { exit: 0 }
      ]
    }).done
    expect(r.code).toBe(0)
    const ran = fs.readFileSync(w.out, "utf8").split("\n").filter((l) => l !== "")
    expect(ran.sort()).toEqual(["all", "all", "bash", "edit-regex", "idle", "started"].sort())
  })

  it("kills a handler at its timeout and goes on", async () => {
    const w = world()
    const settings = writeSettings(path.join(w.dir, "s.json"), {
      UserPromptSubmit: [{ hooks: [{ type: "command", command: "sleep 30", timeout: 0.2 }] }]
    })
    const t0 = Date.now()
    const r = await claude(w, { args: ["--settings", settings, "do it"], steps: [{ event: "UserPromptSubmit" }, { exit: 0 }] }).done
    expect(r.code).toBe(0)
    expect(Date.now() - t0).toBeLessThan(15_000) // not the 30 s the handler would sleep
    expect(handlerRuns(w.log, "UserPromptSubmit")).toMatchObject([{ timedOut: true, exitCode: null, signal: "SIGKILL" }])
    expect(readClaudeLog(w.log).find((x) => x.kind === "event" && x.event === "UserPromptSubmit")).toMatchObject({ input: { prompt: "do it" } })
  })

  it("gives handlers the agent's environment (the window's HUB_* variables) and CLAUDE_PROJECT_DIR", async () => {
    const w = world()
    const settings = writeSettings(path.join(w.dir, "s.json"), {
      Stop: [{ hooks: [{ type: "command", command: "printf '%s|%s|%s' \"$HUB_TASK_ID\" \"$HUB_SESSION_ID\" \"$CLAUDE_PROJECT_DIR\" > \"$OUT\"" }] }]
    })
    const r = await claude(w, {
      args: ["--settings", settings],
      steps: [{ event: "Stop" }, { exit: 0 }],
      env: { HUB_TASK_ID: "TASK-0007", HUB_SESSION_ID: SESSION }
    }).done
    expect(r.code).toBe(0)
    expect(fs.readFileSync(w.out, "utf8")).toBe(`TASK-0007|${SESSION}|${fs.realpathSync(w.work)}`)
  })

  it("combines hooks from the user's, the project's and --settings files, an identical handler once", async () => {
    const w = world()
    const mine = { type: "command", command: "echo user-only >> \"$OUT\"" }
    const shared = { type: "command", command: "echo shared >> \"$OUT\"" }
    writeSettings(path.join(w.home, ".claude", "settings.json"), { Stop: [{ hooks: [mine, shared] }] })
    writeSettings(path.join(w.work, ".claude", "settings.json"), { Stop: [{ hooks: [shared] }] })
    const settings = writeSettings(path.join(w.dir, "s.json"), { Stop: [{ hooks: [shared, { type: "command", command: "echo flag-only >> \"$OUT\"" }] }] })
    const r = await claude(w, { args: ["--settings", settings], steps: [{ event: "Stop" }, { exit: 0 }] }).done
    expect(r.code).toBe(0)
    expect(fs.readFileSync(w.out, "utf8").split("\n").filter((l) => l !== "").sort()).toEqual(["flag-only", "shared", "user-only"])
    expect(handlerRuns(w.log, "Stop").map((h) => h.source).sort()).toEqual(["flag", "user", "user"])
  })

  it("takes --settings as inline JSON, and disableAllHooks from the highest layer", async () => {
    const w = world()
    writeSettings(path.join(w.home, ".claude", "settings.json"), { Stop: [{ hooks: [appendStdin] }] })
    const inline = JSON.stringify({ hooks: { Stop: [{ hooks: [appendStdin] }] } })
    expect((await claude(w, { args: ["--settings", inline], steps: [{ event: "Stop" }, { exit: 0 }] }).done).code).toBe(0)
    expect(inputs(w)).toHaveLength(1)
    expect((await claude(w, { args: ["--settings", "{\"disableAllHooks\": true}"], steps: [{ event: "Stop" }, { exit: 0 }] }).done).code).toBe(0)
    expect(inputs(w)).toHaveLength(1)
  })

  it("writes assistant lines with usage to the transcript, one message streamed over several lines", async () => {
    const w = world()
    const usage = { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 3, cache_creation_input_tokens: 2 }
    const r = await claude(w, {
      args: ["fix it"],
      steps: [{ event: "UserPromptSubmit" }, { usage, id: "msg_1", lines: 2 }, { usage, id: "msg_2" }, { exit: 0 }]
    }).done
    expect(r.code).toBe(0)
    const file = transcriptPathFor(path.join(w.home, ".claude"), fs.realpathSync(w.work), SESSION)
    const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
    expect(lines.map((l) => l.type)).toEqual(["user", "assistant", "assistant", "assistant"])
    expect(lines[0].message).toEqual({ role: "user", content: "fix it" })
    const assistant = lines.filter((l) => l.type === "assistant")
    expect(assistant.map((l) => l.message.id)).toEqual(["msg_1", "msg_1", "msg_2"])
    expect(assistant[0].requestId).toBe(assistant[1].requestId)
    expect(assistant.every((l) => l.sessionId === SESSION && l.message.usage.input_tokens === 10)).toBe(true)
  })

  it("--resume continues a session's transcript under its id (SessionStart source resume); an unknown one is 'No conversation found', exit 1", async () => {
    const w = world()
    const usage = { input_tokens: 1, output_tokens: 1 }
    expect((await claude(w, { args: ["-p", "first"], steps: [{ usage, id: "msg_1" }, { exit: 0 }] }).done).code).toBe(0)
    const settings = writeSettings(path.join(w.dir, "s.json"), { SessionStart: [{ hooks: [appendStdin] }] })
    const resumed = await claude(w, {
      shell: `claude --resume ${SESSION} --settings '${settings}' -p again`,
      steps: [{ event: "SessionStart" }, { usage, id: "msg_2" }, { exit: 0 }]
    }).done
    expect(resumed.code).toBe(0)
    expect(readClaudeLog(w.log).filter((r) => r.kind === "resume")).toMatchObject([{ session_id: SESSION, forked: false, transcript_lines: 1 }])
    expect(inputs(w)).toMatchObject([{ hook_event_name: "SessionStart", source: "resume", session_id: SESSION }])
    const file = transcriptPathFor(path.join(w.home, ".claude"), fs.realpathSync(w.work), SESSION)
    const ids = fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).message.id)
    expect(ids).toEqual(["msg_1", "msg_2"])

    const unknown = await claude(w, { shell: "claude --resume 00000000-0000-4000-8000-000000000000 -p x" }).done
    expect(unknown).toMatchObject({ code: 1, stdout: "No conversation found with session ID: 00000000-0000-4000-8000-000000000000\n" })
    // A session id of one's own with --resume needs --fork-session.
    const both = await claude(w, { shell: `claude --resume ${SESSION} --session-id 11111111-1111-4111-8111-111111111111 -p x` }).done
    expect(both.code).toBe(1)
    const forked = await claude(w, { shell: `claude --resume ${SESSION} --fork-session --session-id 11111111-1111-4111-8111-111111111111 -p x`, steps: [{ exit: 0 }] }).done
    expect(forked.code).toBe(0)
    expect(fs.existsSync(transcriptPathFor(path.join(w.home, ".claude"), fs.realpathSync(w.work), "11111111-1111-4111-8111-111111111111"))).toBe(true)
  })

  it("plays one turn without a script, sits at its prompt, and ends the session when stdin ends", async () => {
    const w = world()
    const settings = writeSettings(path.join(w.dir, "s.json"), { SessionEnd: [{ hooks: [appendStdin] }] })
    const run = claude(w, { args: ["--settings", settings, "hello"] })
    await waitForRecord(w.log, (x) => x.kind === "event" && x.event === "Stop")
    expect(events(w)).toEqual(["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop"])
    run.closeStdin()
    expect((await run.done).code).toBe(0)
    expect(inputs(w)).toMatchObject([{ hook_event_name: "SessionEnd", reason: "prompt_input_exit" }])
  })

  it("on SIGHUP emits SessionEnd (reason other), waits for its handlers and exits", async () => {
    const w = world()
    const settings = writeSettings(path.join(w.dir, "s.json"), { SessionEnd: [{ hooks: [{ type: "command", command: "sleep 0.2; cat > \"$OUT\"" }] }] })
    const run = claude(w, { args: ["--settings", settings], steps: [{ event: "SessionStart" }] })
    await waitForRecord(w.log, (x) => x.kind === "event" && x.event === "SessionStart")
    process.kill(run.pid, "SIGHUP")
    const r = await run.done
    expect(r.code).toBe(129)
    expect(JSON.parse(fs.readFileSync(w.out, "utf8"))).toMatchObject({ hook_event_name: "SessionEnd", reason: "other" })
  })

  it("asks for permission: PermissionRequest, then Notification permission_prompt", async () => {
    const w = world()
    const settings = writeSettings(path.join(w.dir, "s.json"), { PermissionRequest: [{ hooks: [appendStdin] }], Notification: [{ hooks: [appendStdin] }] })
    const r = await claude(w, {
      args: ["--settings", settings],
      steps: [{ permission: "Bash", input: { command: "rm -rf node_modules" }, message: "Claude needs your permission to use Bash" }, { exit: 0 }]
    }).done
    expect(r.code).toBe(0)
    expect(inputs(w)).toMatchObject([
      { hook_event_name: "PermissionRequest", tool_name: "Bash", tool_input: { command: "rm -rf node_modules" } },
      { hook_event_name: "Notification", notification_type: "permission_prompt", message: "Claude needs your permission to use Bash" }
    ])
  })

  it("blocks a tool when a PreToolUse handler exits 2, and prints what a script asks for", async () => {
    const w = world()
    const settings = writeSettings(path.join(w.dir, "s.json"), {
      PreToolUse: [{ hooks: [{ type: "command", command: "echo no >&2; exit 2" }] }],
      PostToolUse: [{ hooks: [appendStdin] }]
    })
    const r = await claude(w, { args: ["--settings", settings], steps: [{ tool: "Bash" }, { output: "working on it" }, { exit: 3 }] }).done
    expect(r.code).toBe(3)
    expect(r.stdout).toBe("working on it\n")
    expect(handlerRuns(w.log, "PreToolUse")).toMatchObject([{ exitCode: 2, stderr: "no\n" }])
    expect(events(w)).toEqual(["PreToolUse", "SessionEnd"])
  })

  it("takes hub's default agent command: session id, model, system prompt and task prompt", async () => {
    const w = world()
    // The command names the attempt's settings file in its run folder (hooks only, here none).
    const runDir = path.join(w.dir, "run")
    writeSettings(path.join(runDir, "settings.json"), {})
    const r = await claude(w, {
      shell: `${DEFAULT_AGENT_COMMAND} --settings '${JSON.stringify(SKIP_BYPASS_WARNING)}'`,
      steps: [{ event: "UserPromptSubmit" }, { exit: 0 }],
      env: {
        HUB_SESSION_ID: SESSION,
        HUB_RUN_DIR: runDir,
        HUB_MODEL: "opus",
        HUB_PERMISSION_MODE: "bypassPermissions",
        HUB_SYSTEM_PROMPT: "You work for hub.",
        HUB_TASK_PROMPT: "Fix the 'bug' in $PATH"
      }
    }).done
    expect(r.code).toBe(0)
    const start = readClaudeLog(w.log).find((x) => x.kind === "start")
    expect(start).toMatchObject({ session_id: SESSION, argv: expect.arrayContaining(["--model", "opus", "--append-system-prompt", "You work for hub."]) })
    expect(readClaudeLog(w.log).find((x) => x.kind === "event")).toMatchObject({ input: { prompt: "Fix the 'bug' in $PATH", permission_mode: "bypassPermissions" } })
  })

  it("stops at the trust dialog in a folder nobody trusted, and runs no hook", async () => {
    const w = world()
    fs.rmSync(path.join(w.home, ".claude.json"))
    writeSettings(path.join(w.home, ".claude", "settings.json"), { SessionStart: [{ hooks: [appendStdin] }], SessionEnd: [{ hooks: [appendStdin] }] })
    const run = claude(w)
    await waitForRecord(w.log, (x) => x.kind === "dialog")
    run.closeStdin()
    const r = await run.done
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("trust")
    expect(readClaudeLog(w.log).find((x) => x.kind === "dialog")).toMatchObject({ dialog: "trust" })
    expect(events(w)).toEqual([])
    expect(inputs(w)).toEqual([])
  })

  it("counts a trusted parent folder, and -p as trusted", async () => {
    const w = world()
    fs.rmSync(path.join(w.home, ".claude.json"))
    const settings = writeSettings(path.join(w.dir, "s.json"), { Stop: [{ hooks: [appendStdin] }] })
    expect((await claude(w, { args: ["-p", "--settings", settings], steps: [{ event: "Stop" }] }).done).code).toBe(0)
    trustFolder(w.home, fs.realpathSync(w.dir))
    expect((await claude(w, { args: ["--settings", settings], steps: [{ event: "Stop" }, { exit: 0 }] }).done).code).toBe(0)
    expect(inputs(w)).toHaveLength(2)
  })

  it("stops at the bypass-permissions warning unless user or --settings skip it (a project file cannot)", async () => {
    const w = world()
    writeSettings(path.join(w.work, ".claude", "settings.json"), { Stop: [{ hooks: [appendStdin] }] }, SKIP_BYPASS_WARNING)
    const run = claude(w, { args: ["--dangerously-skip-permissions"], steps: [{ event: "Stop" }, { exit: 0 }] })
    await waitForRecord(w.log, (x) => x.kind === "dialog")
    process.kill(run.pid, "SIGHUP")
    expect((await run.done).code).toBe(129)
    expect(readClaudeLog(w.log).find((x) => x.kind === "dialog")).toMatchObject({ dialog: "bypass-permissions" })
    expect(inputs(w)).toEqual([])
    const inline = JSON.stringify(SKIP_BYPASS_WARNING)
    expect((await claude(w, { args: ["--dangerously-skip-permissions", "--settings", inline], steps: [{ event: "Stop" }, { exit: 0 }] }).done).code).toBe(0)
    expect(inputs(w)).toMatchObject([{ hook_event_name: "Stop", permission_mode: "bypassPermissions" }])
  })

  it.runIf(process.getuid?.() === 0)("as root outside a sandbox refuses bypass mode at once, and runs in default mode", async () => {
    const w = world()
    writeSettings(path.join(w.work, ".claude", "settings.json"), { Stop: [{ hooks: [appendStdin] }] }, SKIP_BYPASS_WARNING)
    const bypass = await claude(w, { args: ["--permission-mode", "bypassPermissions"], steps: [{ event: "Stop" }, { exit: 0 }], env: { IS_SANDBOX: undefined } }).done
    expect(bypass.code).toBe(1)
    expect(bypass.stderr).toBe("--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons\n")
    expect(inputs(w)).toEqual([])
    expect((await claude(w, { args: ["--permission-mode", "default"], steps: [{ event: "Stop" }, { exit: 0 }], env: { IS_SANDBOX: undefined } }).done).code).toBe(0)
    expect(inputs(w)).toMatchObject([{ hook_event_name: "Stop", permission_mode: "default" }])
  })

  it("refuses a session id that is not a UUID", async () => {
    const w = world()
    const r = await claude(w, { args: ["--session-id", "TASK-0001#1"], steps: [{ exit: 0 }] }).done
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("UUID")
  })
})
