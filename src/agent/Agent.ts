import { Context, Effect, Layer, Option, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { HubConfig, hubPaths } from "../config.js"
import { AgentSignal } from "../domain/AgentState.js"
import type { ModelCall } from "../domain/Usage.js"
import { AgentError } from "../domain/errors.js"
import type { Task } from "../domain/Task.js"
import type { TaskId } from "../domain/TaskId.js"
import { makePrivateDir, PRIVATE_FILE, writePrivateFile } from "../shared/files.js"
import { readLinesFrom } from "../shared/lines.js"
import { runProcess } from "../shared/process.js"
import { type AgentPreset, PRESETS } from "./presets.js"
import { modelFor, resumePrompt, systemPrompt, taskPrompt } from "./prompts.js"
import { SESSION_FILE, SIGNALS_FILE } from "./hook.js"
import { claudeSettings } from "./settings.js"
import { sessionIdFor } from "./session.js"
import { modelCallsOf } from "./transcript.js"
import { trustKeys } from "./trust.js"

/** Claude Code, reading everything task-specific from the environment. */
export const DEFAULT_AGENT_COMMAND = PRESETS.claude.command("hub")

/**
 * The constant command every hub window runs. It loads the prompts from the run folder when
 * they did not fit on tmux's command line, runs the configured agent command, and records
 * its exit status in a file: tmux's own `pane_dead_status` is sometimes empty.
 * No single quote, backslash or `#` in here: it must survive sh, bash, zsh and fish quoting.
 */
export const WINDOW_COMMAND = "exec sh -c '" + [
  // A window that opens after reconcile called its attempt off (its dispatcher was killed
  // while its tmux client was still on the way) starts no agent.
  "if [ -e \"$HUB_RUN_DIR/void\" ]; then echo hub: this attempt was called off before its agent started; exit 0; fi",
  "[ -n \"${HUB_TASK_PROMPT+x}\" ] || HUB_TASK_PROMPT=$(cat \"$HUB_RUN_DIR/task-prompt\")",
  "[ -n \"${HUB_SYSTEM_PROMPT+x}\" ] || HUB_SYSTEM_PROMPT=$(cat \"$HUB_RUN_DIR/system-prompt\")",
  "export HUB_TASK_PROMPT HUB_SYSTEM_PROMPT",
  // A subshell: an `exit` in the agent command must not skip recording its status.
  "(eval \"$HUB_AGENT_COMMAND\")",
  "s=$?",
  // Owner only, like the rest of the run folder; the umask is the agent's own business.
  "(umask 077; echo \"$s\" > \"$HUB_RUN_DIR/exit.tmp\") && mv -f \"$HUB_RUN_DIR/exit.tmp\" \"$HUB_RUN_DIR/exit\"",
  "exit \"$s\""
].join("; ") + "'"

/** tmux refuses a command line of about 16 KB; the prompts travel by file past this. */
const MAX_INLINE_PROMPTS = 8_000

export interface Launch {
  readonly env: Readonly<Record<string, string>>
  readonly command: string
  readonly sessionId: string
  readonly runDir: string
  /** The earlier attempt whose conversation this one continues, if it does. */
  readonly resumed: Option.Option<number>
}

/** A conversation of an earlier attempt that a new attempt may continue. */
export interface ResumeFrom {
  readonly attempt: number
  /** The agent's own session id, from its hooks. */
  readonly sessionId: string
  readonly transcriptPath: string | null
}

/** What an attempt's hooks said of the agent's own session, and how far they were read. */
export interface AgentSessionSeen {
  readonly sessionId: string | null
  readonly transcriptPath: string | null
  readonly read: number
}

export class Agent extends Context.Tag("hub/Agent")<Agent, {
  readonly command: string
  /** Claude Code's preparation applies (settings file, trust): the claude preset. */
  readonly isDefault: boolean
  /** The preset in use, if any (`HUB_AGENT`, or Claude Code when nothing is set). */
  readonly preset: Option.Option<AgentPreset>
  /**
   * Writes the run folder and returns the window's environment and command. With `resume`,
   * and an agent that can, the attempt continues that conversation instead of starting one.
   */
  readonly launch: (task: Task, workspace: string, resume?: Option.Option<ResumeFrom>) => Effect.Effect<Launch, AgentError>
  /** Marks the workspace trusted in `~/.claude.json` (only for the default agent). */
  readonly trust: (workspace: string) => Effect.Effect<void, AgentError>
  /** The exit status the window command recorded, if it has finished. */
  readonly exitStatus: (taskId: TaskId, attempt: number) => Effect.Effect<Option.Option<number>>
  /**
   * The signals the attempt's hooks left in its run folder after byte `from`, and where the
   * next read starts: a line still being written (no newline yet) waits for the next read,
   * a line that is not a signal is skipped.
   */
  readonly signals: (
    taskId: TaskId,
    attempt: number,
    from: number
  ) => Effect.Effect<{ readonly signals: ReadonlyArray<AgentSignal>; readonly read: number }>
  /**
   * The agent's own session id and transcript, the latest its hooks named in the attempt's
   * signals after byte `from` (null when none did), and where the next read starts.
   */
  readonly agentSession: (taskId: TaskId, attempt: number, from: number) => Effect.Effect<AgentSessionSeen>
  /** The model calls a transcript gained after byte `from` (a partial last line waits), and where the next read starts. */
  readonly modelCalls: (
    transcriptPath: string,
    from: number
  ) => Effect.Effect<{ readonly calls: ReadonlyArray<ModelCall>; readonly read: number }>
  /** Fails when the agent's executable cannot be found on PATH. */
  readonly check: Effect.Effect<void, AgentError>
  /**
   * Calls an attempt off: a window of it that tmux opens from now on starts no agent. For an
   * attempt whose dispatcher died, since a tmux client it started may still be on the way.
   */
  readonly voidAttempt: (taskId: TaskId, attempt: number) => Effect.Effect<void, AgentError>
}>() {}

export const runDirFor = (home: string, taskId: string, attempt: number) =>
  path.join(hubPaths({ home }).runs, taskId, String(attempt))

/** Whether `sh` can run `exe` with this PATH: an executable, a builtin or a function. */
const runnable = (exe: string, pathVar: string) =>
  runProcess("sh", ["-c", "command -v -- \"$1\" >/dev/null 2>&1", "sh", exe], {
    env: { PATH: pathVar },
    timeoutMs: 5_000,
    label: `sh (looking for ${exe})`
  }).pipe(Effect.map((result) => result.code === 0))

/**
 * Writes `file` whole or not at all. An existing file keeps its mode (it is the user's, e.g.
 * ~/.claude.json) and, when `file` is a symlink, stays where the link points; a new one is 0600.
 */
export const writeAtomic = (file: string, text: string) => {
  let target = file
  let mode = PRIVATE_FILE
  try {
    target = fs.realpathSync(file)
    mode = fs.statSync(target).mode & 0o7777
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error
  }
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`
  const fd = fs.openSync(tmp, "wx", PRIVATE_FILE)
  try {
    try {
      fs.writeFileSync(fd, text)
      fs.fchmodSync(fd, mode)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, target)
  } catch (error) {
    fs.rmSync(tmp, { force: true })
    throw error
  }
}

/**
 * The permission mode an unattended agent starts in: bypassPermissions, except where Claude Code
 * refuses it, as root outside a sandbox it recognises (it exits 1 on the spot: checked in the
 * bundle of 2.1.332, docs/CLAUDE-CODE.md). There the agent starts in `default` mode and asks for
 * each permission, which hub shows as `waiting`; IS_SANDBOX=1 says the machine is a sandbox.
 */
export const permissionModeFor = (uid: number | undefined, env: NodeJS.ProcessEnv): "bypassPermissions" | "default" =>
  uid === 0 && env.IS_SANDBOX !== "1" && !env.CLAUDE_CODE_BUBBLEWRAP ? "default" : "bypassPermissions"

/**
 * The preset in use: `HUB_AGENT`'s; Claude Code when neither it nor `HUB_AGENT_COMMAND` is set;
 * none for a free `HUB_AGENT_COMMAND` alone (hub then prepares nothing for it).
 */
export const presetFor = (config: Pick<HubConfig["Type"], "agent" | "agentCommand">): Option.Option<AgentPreset> =>
  Option.match(config.agent, {
    onSome: (name) => Option.some(PRESETS[name]),
    onNone: () => (Option.isNone(config.agentCommand) ? Option.some(PRESETS.claude) : Option.none())
  })

export const makeAgent = Effect.gen(function* () {
  const config = yield* HubConfig
  const basePath = process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin"
  const agentPath = Option.match(config.binDir, { onNone: () => basePath, onSome: (dir) => `${dir}:${basePath}` })
  const hubBin = Option.match(config.binDir, { onNone: () => "hub", onSome: (dir) => path.join(dir, "hub") })
  const preset = presetFor(config)
  // HUB_AGENT_COMMAND wins over the preset's command; the preset still says how to prepare
  // the agent and how it reports (HUB_AGENT=claude with a command of your own keeps the hooks).
  const command = Option.getOrElse(config.agentCommand, () => Option.getOrThrow(preset).command(hubBin))
  const isDefault = Option.exists(preset, (p) => p.claudeSetup)
  // Only the preset's own command is known to take a session to resume.
  const resumeCommand = Option.isNone(config.agentCommand)
    ? Option.flatMapNullable(preset, (p) => p.resumeCommand?.(hubBin))
    : Option.none<string>()
  const presetEnv = Option.match(preset, { onNone: () => ({}), onSome: (p) => p.env ?? {} })

  /** The conversation to continue: a preset that can, and a transcript that is still there. */
  const resumable = (resume: Option.Option<ResumeFrom>) =>
    Option.filter(resume, (r) => Option.isSome(resumeCommand) && (r.transcriptPath === null || fs.existsSync(r.transcriptPath)))

  const launch = (task: Task, workspace: string, resume: Option.Option<ResumeFrom> = Option.none()) =>
    Effect.try({
      try: (): Launch => {
        const runDir = runDirFor(config.home, task.id, task.attempt)
        const system = systemPrompt(task.kind)
        const from = resumable(resume)
        const prompt = Option.isSome(from) ? resumePrompt(task) : taskPrompt(task)
        makePrivateDir(runDir, config.home)
        fs.rmSync(path.join(runDir, "exit"), { force: true })
        writePrivateFile(path.join(runDir, "system-prompt"), system)
        writePrivateFile(path.join(runDir, "task-prompt"), prompt)
        // What `hub agent hook` checks its HUB_SESSION_ID against (src/agent/hook.ts).
        writePrivateFile(path.join(runDir, SESSION_FILE), sessionIdFor(task.id, task.attempt))
        // The default agent's hooks report its state through `hub agent hook`.
        if (isDefault) writePrivateFile(path.join(runDir, "settings.json"), JSON.stringify(claudeSettings(hubBin), null, 2))
        const sessionId = sessionIdFor(task.id, task.attempt)
        const inline = system.length + prompt.length <= MAX_INLINE_PROMPTS
          ? { HUB_SYSTEM_PROMPT: system, HUB_TASK_PROMPT: prompt }
          : {}
        return {
          sessionId,
          runDir,
          command: WINDOW_COMMAND,
          resumed: Option.map(from, (r) => r.attempt),
          env: {
            ...presetEnv,
            HUB_TASK_ID: task.id,
            HUB_SESSION_ID: sessionId,
            HUB_MODEL: modelFor(task.kind),
            HUB_HOME: config.home,
            HUB_RUN_DIR: runDir,
            HUB_WORKSPACE: workspace,
            HUB_AGENT_COMMAND: Option.isSome(from) ? Option.getOrElse(resumeCommand, () => command) : command,
            ...Option.match(from, { onNone: () => ({}), onSome: (r) => ({ HUB_RESUME_SESSION_ID: r.sessionId }) }),
            HUB_PERMISSION_MODE: permissionModeFor(process.getuid?.(), process.env),
            // hub commands the agent runs talk to the tmux server and session it runs in.
            HUB_TMUX_SESSION: config.tmuxSession,
            ...Option.match(config.tmuxSocket, { onNone: () => ({}), onSome: (s) => ({ HUB_TMUX_SOCKET: s }) }),
            PATH: agentPath,
            ...inline
          }
        }
      },
      catch: (error) => new AgentError({ message: `cannot write the run folder: ${(error as Error).message}` })
    })

  const trust = (workspace: string) =>
    isDefault
      ? Effect.try({
        try: () => {
          const file = path.join(config.userHome, ".claude.json")
          let data: Record<string, unknown> = {}
          if (fs.existsSync(file)) {
            const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"))
            if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`${file} is not a JSON object`)
            data = parsed as Record<string, unknown>
          }
          const projects = (typeof data.projects === "object" && data.projects !== null ? data.projects : {}) as Record<string, unknown>
          const untrusted = trustKeys(workspace).filter((key) => {
            const entry = projects[key]
            return !(typeof entry === "object" && entry !== null && (entry as Record<string, unknown>).hasTrustDialogAccepted === true)
          })
          if (untrusted.length === 0) return
          for (const key of untrusted) {
            const entry = projects[key]
            projects[key] = { ...(typeof entry === "object" && entry !== null ? entry : {}), hasTrustDialogAccepted: true }
          }
          writeAtomic(file, JSON.stringify({ ...data, projects }, null, 2))
        },
        catch: (error) => new AgentError({ message: `cannot pre-trust ${workspace}: ${(error as Error).message}` })
      })
      : Effect.void

  const exitStatus = (taskId: TaskId, attempt: number) =>
    Effect.sync(() => {
      try {
        const text = fs.readFileSync(path.join(runDirFor(config.home, taskId, attempt), "exit"), "utf8").trim()
        return /^\d+$/.test(text) ? Option.some(Number(text)) : Option.none()
      } catch {
        return Option.none<number>()
      }
    })

  // The preset's program, or the first word of a simple command of your own; anything fancier
  // (assignments, quotes) is left to sh.
  const exe = Option.isNone(config.agentCommand)
    ? Option.getOrThrow(preset).program
    : /^\s*([A-Za-z0-9_./-]+)(\s|$)/.exec(command)?.[1]
  const check = exe === undefined ? Effect.void : runnable(exe, agentPath).pipe(
    Effect.mapError((failure) => new AgentError({ message: `cannot look for the agent command: ${failure.message}` })),
    Effect.filterOrFail(
      (found) => found,
      () => new AgentError({ message: `the agent command '${exe}' is not on PATH (set HUB_AGENT or HUB_AGENT_COMMAND)` })
    ),
    Effect.asVoid
  )

  const decodeSignal = Schema.decodeUnknownOption(Schema.parseJson(AgentSignal))
  const signalsFile = (taskId: TaskId, attempt: number) => path.join(runDirFor(config.home, taskId, attempt), SIGNALS_FILE)
  const signals = (taskId: TaskId, attempt: number, from: number) =>
    Effect.sync(() => {
      const { lines, read } = readLinesFrom(signalsFile(taskId, attempt), from)
      return { signals: lines.flatMap((line) => Option.toArray(decodeSignal(line))), read }
    })

  const decodeSession = Schema.decodeUnknownOption(Schema.parseJson(Schema.Struct({
    session_id: Schema.optional(Schema.String),
    transcript_path: Schema.optional(Schema.String)
  })))
  const agentSession = (taskId: TaskId, attempt: number, from: number) =>
    Effect.sync((): AgentSessionSeen => {
      const { lines, read } = readLinesFrom(signalsFile(taskId, attempt), from)
      let sessionId: string | null = null
      let transcriptPath: string | null = null
      for (const line of lines) {
        const seen = decodeSession(line)
        if (Option.isNone(seen)) continue
        sessionId = seen.value.session_id ?? sessionId
        transcriptPath = seen.value.transcript_path ?? transcriptPath
      }
      return { sessionId, transcriptPath, read }
    })

  const modelCalls = (transcriptPath: string, from: number) =>
    Effect.sync(() => {
      const { lines, read } = readLinesFrom(transcriptPath, from)
      return { calls: modelCallsOf(lines), read }
    })

  const voidAttempt = (taskId: TaskId, attempt: number) =>
    Effect.try({
      try: () => {
        const runDir = runDirFor(config.home, taskId, attempt)
        makePrivateDir(runDir, config.home)
        writePrivateFile(path.join(runDir, "void"), "")
      },
      catch: (error) => new AgentError({ message: `cannot call off ${taskId}#${attempt}: ${(error as Error).message}` })
    })

  return Agent.of({ command, isDefault, preset, launch, trust, exitStatus, signals, agentSession, modelCalls, check, voidAttempt })
})

export const AgentLive = Layer.effect(Agent, makeAgent)
