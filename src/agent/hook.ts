import * as fs from "node:fs"
import * as path from "node:path"
import { pokeDaemons } from "../shared/wake.js"
import { agentSessionOf, signalOf } from "./hookEvents.js"

/** Where a window's hooks leave their signals: one JSON line each, in the attempt's run folder. */
export const SIGNALS_FILE = "agent-signals"

/**
 * The attempt's session id, written into its run folder at launch: the hook compares it with
 * its own HUB_SESSION_ID instead of recomputing the UUID (loading node:crypto costs more than
 * the rest of the hook).
 */
export const SESSION_FILE = "session"

const sessionOf = (dir: string): string | undefined => {
  try {
    return fs.readFileSync(path.join(dir, SESSION_FILE), "utf8").trim()
  } catch {
    return undefined
  }
}

const TASK_ID = /^TASK-\d{4,}$/
const MAX_INPUT = 1 << 20

export interface HookInput {
  readonly args: ReadonlyArray<string>
  readonly env: NodeJS.ProcessEnv
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean }
  readonly warn: (line: string) => void
  readonly now?: () => Date
}

/** stdin whole, bounded in size and in time: a hook must never hang its agent. */
const readAll = (stdin: HookInput["stdin"], timeoutMs: number) =>
  new Promise<string>((resolve) => {
    if (stdin.isTTY) return resolve("")
    const chunks: Array<Buffer> = []
    let size = 0
    const finish = () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks).toString("utf8"))
    }
    const timer = setTimeout(finish, timeoutMs)
    stdin.on("data", (chunk: Buffer | string) => {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk
      if (size < MAX_INPUT) chunks.push(buffer)
      size += buffer.length
    })
    stdin.on("end", finish)
    stdin.on("error", finish)
  })

/**
 * The run folder of the attempt the caller belongs to, or a reason why there is none. The
 * attempt is the one whose session id is `HUB_SESSION_ID`: a hook of an older attempt finds
 * its own old folder, which nothing reads any more, so it changes nothing.
 */
const attemptFolder = (env: NodeJS.ProcessEnv): { readonly dir: string } | { readonly why: string } => {
  const taskId = env.HUB_TASK_ID ?? ""
  const session = env.HUB_SESSION_ID ?? ""
  const home = env.HUB_HOME ?? ""
  if (!TASK_ID.test(taskId) || session === "" || home === "") {
    return { why: "not inside a hub window (HUB_TASK_ID, HUB_SESSION_ID and HUB_HOME are not all set)" }
  }
  const taskRuns = path.join(home, "runs", taskId)
  const named = env.HUB_RUN_DIR ? path.basename(env.HUB_RUN_DIR) : undefined
  let attempts: Array<string>
  try {
    attempts = named !== undefined && /^\d+$/.test(named) ? [named] : fs.readdirSync(taskRuns)
  } catch {
    return { why: `${taskId} has no attempt here` }
  }
  const attempt = attempts.find((n) => /^\d+$/.test(n) && sessionOf(path.join(taskRuns, n)) === session)
  if (attempt === undefined) return { why: `no attempt of ${taskId} has session ${session}` }
  return { dir: path.join(taskRuns, attempt) }
}

/**
 * `hub agent hook`: reads what an agent reports (a hook's JSON on stdin, or as the last
 * argument, as Codex's `notify` passes it), records it as a signal of its attempt, and pokes
 * the daemons. It never answers for the person and never blocks the agent: it prints nothing
 * on stdout, at most one line on stderr, and the caller exits 0 whatever happens.
 */
export const runHook = async (input: HookInput): Promise<void> => {
  // When the event happened: a background hook's line may land after a later event's.
  const at = (input.now?.() ?? new Date()).toISOString()
  try {
    const last = input.args[input.args.length - 1]
    const raw = last !== undefined && last.trim().startsWith("{") ? last : await readAll(input.stdin, 2_000)
    if (raw.trim() === "") return input.warn("hub agent hook: nothing on stdin; ignored")
    let payload: unknown
    try {
      payload = JSON.parse(raw)
    } catch {
      return input.warn("hub agent hook: stdin is not JSON; ignored")
    }
    const signal = signalOf(payload, at)
    if (signal === undefined) return
    const folder = attemptFolder(input.env)
    if ("why" in folder) return input.warn(`hub agent hook: ${folder.why}; ignored`)
    const line = { ...signal, ...agentSessionOf(payload) }
    fs.appendFileSync(path.join(folder.dir, SIGNALS_FILE), `${JSON.stringify(line)}\n`, { mode: 0o600 })
    await pokeDaemons(input.env.HUB_HOME ?? "")
  } catch (error) {
    input.warn(`hub agent hook: ${error instanceof Error ? error.message : String(error)}; ignored`)
  }
}
