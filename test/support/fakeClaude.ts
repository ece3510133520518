/**
 * The stand-in `claude` (test/support/bin/claude): a Node script that behaves like Claude Code as
 * far as its hooks go, scripted per test. Put FAKE_CLAUDE_BIN first on PATH (or in HUB_BIN_DIR),
 * point HUB_FAKE_CLAUDE_SCRIPT at a file from writeScript and HUB_FAKE_CLAUDE_LOG at a file to
 * read back with readClaudeLog. docs/CLAUDE-CODE.md says what it does and where each rule is from.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { waitFor } from "./sandbox.js"

/** The folder holding the stand-in `claude`. */
export const FAKE_CLAUDE_BIN = path.resolve(import.meta.dirname, "bin")

/** One step of a stand-in's script (see the STEPS comment in bin/claude). */
export type ClaudeStep =
  | { readonly event: string; readonly [field: string]: unknown }
  | { readonly tool: string; readonly input?: unknown; readonly response?: unknown; readonly error?: string }
  | { readonly permission: string; readonly input?: unknown; readonly message?: string; readonly title?: string }
  | { readonly notification: string; readonly message?: string; readonly title?: string }
  | {
    readonly usage: {
      readonly input_tokens: number
      readonly output_tokens: number
      readonly cache_read_input_tokens?: number
      readonly cache_creation_input_tokens?: number
    }
    readonly id?: string
    readonly requestId?: string
    readonly lines?: number
    readonly text?: string
  }
  | { readonly output: string }
  | { readonly run: string }
  | { readonly waitFor: string; readonly timeout?: number }
  | { readonly sleep: number }
  | { readonly prompt: true }
  | { readonly exit: number; readonly reason?: string; readonly sessionEnd?: boolean }

/** Writes a script into `dir` (as `claude-script.json`, or `name`); returns its path. */
export const writeScript = (dir: string, steps: ReadonlyArray<ClaudeStep>, name = "claude-script.json"): string => {
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, name)
  fs.writeFileSync(file, JSON.stringify(steps, null, 2))
  return file
}

/** A handler as it stood in the settings. */
export interface LoggedHandler {
  readonly type: string
  readonly command?: string
  readonly args?: ReadonlyArray<string>
  readonly async?: boolean
  readonly timeout?: number
  readonly [field: string]: unknown
}

export type ClaudeLogRecord =
  | { readonly kind: "start"; readonly at: string; readonly pid: number; readonly argv: ReadonlyArray<string>; readonly session_id: string; readonly transcript_path: string; readonly cwd: string }
  | { readonly kind: "event"; readonly at: string; readonly event: string; readonly input: Record<string, unknown>; readonly handlers: number }
  | {
    readonly kind: "handler"
    readonly at: string
    readonly event: string
    /** The settings layer: user, project, local or flag (--settings). */
    readonly source: string
    readonly matcher?: string
    readonly handler: LoggedHandler
    readonly async: boolean
    readonly exitCode: number | null
    readonly signal?: string | null
    readonly stdout: string
    readonly stderr: string
    readonly ms?: number
    readonly timedOut?: true
    readonly cancelled?: true
    readonly skipped?: string
  }
  | { readonly kind: "resume"; readonly at: string; readonly session_id: string; readonly forked: boolean; readonly transcript_lines: number }
  | { readonly kind: "trust"; readonly at: string; readonly trusted: boolean; readonly key: string | null; readonly candidates?: ReadonlyArray<string> }
  | { readonly kind: "dialog"; readonly at: string; readonly dialog: "trust" | "bypass-permissions" }
  | { readonly kind: "run"; readonly at: string; readonly command: string; readonly exitCode?: number | null; readonly error?: string }
  | { readonly kind: "signal"; readonly at: string; readonly signal: string }
  | { readonly kind: "error"; readonly at: string; readonly message: string }
  | { readonly kind: "exit"; readonly at: string; readonly code: number; readonly reason: string }

/**
 * Marks `folder` trusted in `<home>/.claude.json` as Claude Code's trust dialog would (keeping
 * every other key): without it an interactive stand-in stops at the trust dialog and runs no hook.
 */
export const trustFolder = (home: string, folder: string): void => {
  const file = path.join(home, ".claude.json")
  const data = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {}
  const projects = data.projects ?? {}
  projects[folder] = { ...projects[folder], hasTrustDialogAccepted: true }
  fs.writeFileSync(file, JSON.stringify({ ...data, projects }, null, 2))
}

/** Settings that let a session start in bypassPermissions without its warning dialog. */
export const SKIP_BYPASS_WARNING = { skipDangerousModePermissionPrompt: true } as const

/** Every record of a stand-in's log so far (none when it has not written one yet). */
export const readClaudeLog = (file: string): Array<ClaudeLogRecord> => {
  if (!fs.existsSync(file)) return []
  return fs.readFileSync(file, "utf8").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as ClaudeLogRecord)
}

export type HandlerRecord = Extract<ClaudeLogRecord, { kind: "handler" }>

/** The handler runs of the log, of one event when given. */
export const handlerRuns = (file: string, event?: string): Array<HandlerRecord> =>
  readClaudeLog(file).filter((r): r is HandlerRecord => r.kind === "handler" && (event === undefined || r.event === event))

/** Waits until the log holds a record that `check` accepts; returns it (fails after `ms`). */
export const waitForRecord = async (file: string, check: (r: ClaudeLogRecord) => boolean, ms = 10_000): Promise<ClaudeLogRecord> => {
  let found: ClaudeLogRecord | undefined
  const ok = await waitFor(() => (found = readClaudeLog(file).find(check)) !== undefined, ms, 20)
  if (!ok || found === undefined) throw new Error(`no such record in ${file} after ${ms} ms:\n${fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "(no log)"}`)
  return found
}

/**
 * The transcript Claude Code keeps for a session: `<config>/projects/<cwd with every
 * non-alphanumeric character as '-'>/<session-id>.jsonl`, config being `$CLAUDE_CONFIG_DIR` or
 * `$HOME/.claude`.
 */
export const transcriptPathFor = (configDir: string, cwd: string, sessionId: string): string =>
  path.join(configDir, "projects", cwd.replace(/[^A-Za-z0-9]/g, "-"), `${sessionId}.jsonl`)

/**
 * A hub process's environment in which hub runs its default agent command (the sandbox sets
 * HUB_AGENT_COMMAND, which this unsets) with the stand-in claude, this script and this log.
 */
export const withStandIn = (script: string, log: string): NodeJS.ProcessEnv => ({
  PATH: `${FAKE_CLAUDE_BIN}:${process.env.PATH}`,
  HUB_AGENT_COMMAND: undefined,
  HUB_FAKE_CLAUDE_SCRIPT: script,
  HUB_FAKE_CLAUDE_LOG: log
})
