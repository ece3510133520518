import { randomBytes } from "node:crypto"
import { Context, Effect, Layer, Option } from "effect"
import { HubConfig } from "../config.js"
import { TmuxError } from "../domain/errors.js"
import { firstErrorLine, runProcess } from "../shared/process.js"
import { envArgs, escapeArg, escapeFormat, socketArgs } from "./tmuxArgs.js"

export interface WindowSpec {
  /** The window's name: the task id. */
  readonly name: string
  readonly cwd: string
  /** Reaches the window through `-e`: the only way task text gets there. */
  readonly env: Readonly<Record<string, string>>
  /** A constant shell command (no task text): run by tmux through the default shell. */
  readonly command: string
}

/** Where a window lives: the server (socket; null = the default server) and session. */
export interface WindowRef {
  readonly windowId: string
  readonly socket: string | null
}

export interface Window extends WindowRef {
  readonly panePid: number
  readonly session: string
}

export interface Pane {
  readonly session: string
  readonly windowName: string
  readonly windowId: string
  readonly panePid: number
  readonly dead: boolean
  /** Null when tmux did not report it (it sometimes does not, for good). */
  readonly deadStatus: number | null
  /** When the window last printed something (ISO), as tmux keeps it for every window. */
  readonly activityAt: string | null
}

/** One look at a tmux server: every pane, or the server is not running at all. */
export type Probe =
  | { readonly _tag: "Running"; readonly panes: ReadonlyArray<Pane> }
  | { readonly _tag: "NoServer" }

export class Terminal extends Context.Tag("hub/Terminal")<Terminal, {
  /** The server and session new windows go to (from HubConfig). */
  readonly socket: string | null
  readonly session: string
  /** Opens a detached window with remain-on-exit set in the same tmux call. */
  readonly openWindow: (spec: WindowSpec) => Effect.Effect<Window, TmuxError>
  readonly killWindow: (ref: WindowRef) => Effect.Effect<void, TmuxError>
  /** Kills every window of that name in hub's session (a stale attempt's). */
  readonly killWindowsNamed: (name: string) => Effect.Effect<number, TmuxError>
  /** All panes of a server, in one `tmux list-panes -a` call. */
  readonly probe: (socket: string | null) => Effect.Effect<Probe, TmuxError>
  /**
   * The last `lines` lines a window's pane shows (plain text, no escapes; trailing blank lines
   * dropped); none when the window or its server is gone.
   */
  readonly capture: (ref: WindowRef, lines: number) => Effect.Effect<Option.Option<string>, TmuxError>
  /** Fails with a clear message when tmux cannot be run at all. */
  readonly check: Effect.Effect<void, TmuxError>
}>() {}

const PANE_FORMAT =
  "#{session_name}\t#{window_name}\t#{window_id}\t#{pane_pid}\t#{window_activity}\t#{pane_dead}\t#{pane_dead_status}"

/** A window hub opened for a task is named after the task's id. */
export const TASK_WINDOW = /^TASK-\d{4,}$/

/** The panes of the windows called `name` in `session` (a task's: its id names them). */
export const panesNamed = (panes: ReadonlyArray<Pane>, session: string, name: string): Array<Pane> =>
  panes.filter((p) => p.session === session && p.windowName === name)

const isNoServer = (stderr: string) => /no server running|error connecting to|server exited/i.test(stderr)

const isNoSession = (stderr: string) => isNoServer(stderr) || /can't find session/i.test(stderr)

/** The name a window is born under in `openWindow`, before the rename in the same call. */
const BIRTH_SUFFIX = /~[0-9a-f]{8}$/

/**
 * Parses `list-panes -a -F PANE_FORMAT`. A window still under its birth name (tmux failed
 * between the new-window and the rename of one call) is read as the task's window, so that
 * undo, reap and verify still find it.
 */
export const parsePanes = (stdout: string): Array<Pane> =>
  stdout.split("\n").filter((l) => l.length > 0).flatMap((line) => {
    const [session, windowName, windowId, pid, activity, dead, status] = line.split("\t")
    if (session === undefined || windowName === undefined || windowId === undefined) return []
    return [{
      session,
      windowName: windowName.replace(BIRTH_SUFFIX, ""),
      windowId,
      panePid: Number(pid),
      dead: dead === "1",
      deadStatus: status !== undefined && status !== "" && dead === "1" ? Number(status) : null,
      activityAt: activity !== undefined && /^\d+$/.test(activity) ? new Date(Number(activity) * 1000).toISOString() : null
    }]
  })

export const makeTerminal = Effect.gen(function* () {
  const config = yield* HubConfig
  const socket = Option.getOrNull(config.tmuxSocket)
  const session = config.tmuxSession

  const tmux = (server: string | null, args: ReadonlyArray<string>, env?: Record<string, string>) =>
    runProcess("tmux", [...socketArgs(server), ...args], {
      timeoutMs: config.tmuxTimeoutMs,
      label: `tmux ${args[0] ?? ""}`,
      ...(env ? { env } : {})
    }).pipe(
      Effect.mapError((failure) => new TmuxError({ message: failure.message }))
    )

  // Two dispatchers may both find the session missing: "duplicate session" means it exists.
  const ensureSession = Effect.gen(function* () {
    const has = yield* tmux(socket, ["has-session", "-t", `=${escapeArg(session)}`])
    if (has.code === 0) return
    const made = yield* tmux(socket, ["new-session", "-d", "-s", escapeArg(session), "-n", "hub"])
    if (made.code !== 0 && !/duplicate session/i.test(made.stderr)) {
      return yield* new TmuxError({ message: `tmux new-session: ${firstErrorLine(made.stderr)}` })
    }
  })

  const openWindow = (spec: WindowSpec) =>
    Effect.gen(function* () {
      const target = `=${escapeArg(session)}:`
      // The window is born under a name no other window has, so that the commands after it
      // in the same call reach it and not an older window of the task's name; then renamed.
      const unique = `${spec.name}~${randomBytes(4).toString("hex")}` // matches BIRTH_SUFFIX
      const created = `=${escapeArg(session)}:=${escapeArg(unique)}`
      const args = [
        "new-window", "-d", "-P", "-F", "#{window_id} #{pane_pid}",
        "-t", target, "-n", escapeArg(unique), "-c", escapeFormat(spec.cwd),
        ...envArgs(spec.env),
        escapeArg(spec.command),
        ";",
        // Same call, so an agent that exits at once still leaves its dead pane behind.
        "set-option", "-w", "-t", created, "remain-on-exit", "on",
        ";",
        "rename-window", "-t", created, escapeArg(spec.name)
      ]
      // tmux gives a new window the PATH of the client that asked for it, over `-e PATH=`.
      const env = spec.env.PATH === undefined ? undefined : { PATH: spec.env.PATH }
      // The session nearly always exists: ask for the window first, make the session only
      // when tmux says it (or its server) is missing, then ask again.
      let opened = yield* tmux(socket, args, env)
      if (opened.code !== 0 && isNoSession(opened.stderr)) {
        yield* ensureSession
        opened = yield* tmux(socket, args, env)
      }
      if (opened.code !== 0) return yield* new TmuxError({ message: `tmux new-window: ${firstErrorLine(opened.stderr)}` })
      const out = opened.stdout
      const [windowId, pid] = out.trim().split(" ")
      if (!windowId || !pid) return yield* new TmuxError({ message: `tmux new-window: unexpected answer '${out.trim()}'` })
      return { windowId, panePid: Number(pid), socket, session }
    }).pipe(Effect.withSpan("Terminal.openWindow"))

  const killWindow = (ref: WindowRef) =>
    Effect.flatMap(tmux(ref.socket, ["kill-window", "-t", escapeArg(ref.windowId)]), (result) =>
      result.code === 0 || isNoServer(result.stderr) || /can't find window|no such window/i.test(result.stderr)
        ? Effect.void
        : Effect.fail(new TmuxError({ message: `tmux kill-window: ${firstErrorLine(result.stderr)}` })))

  const probe = (server: string | null) =>
    Effect.flatMap(tmux(server, ["list-panes", "-a", "-F", PANE_FORMAT]), (result): Effect.Effect<Probe, TmuxError> => {
      if (result.code === 0) return Effect.succeed({ _tag: "Running", panes: parsePanes(result.stdout) })
      if (isNoServer(result.stderr)) return Effect.succeed({ _tag: "NoServer" })
      return Effect.fail(new TmuxError({ message: `tmux list-panes: ${firstErrorLine(result.stderr)}` }))
    })

  const killWindowsNamed = (name: string) =>
    Effect.gen(function* () {
      const seen = yield* probe(socket)
      if (seen._tag === "NoServer") return 0
      const ids = new Set(panesNamed(seen.panes, session, name).map((p) => p.windowId))
      yield* Effect.forEach(ids, (windowId) => killWindow({ windowId, socket }), { discard: true })
      return ids.size
    })

  const capture = (ref: WindowRef, lines: number) =>
    Effect.flatMap(
      tmux(ref.socket, ["capture-pane", "-p", "-J", "-t", escapeArg(ref.windowId), "-S", `-${Math.max(1, lines)}`]),
      (result): Effect.Effect<Option.Option<string>, TmuxError> => {
        if (result.code === 0) {
          const shown = result.stdout.replace(/\s+$/, "").split("\n")
          return Effect.succeed(Option.some(shown.slice(-lines).join("\n")))
        }
        if (isNoServer(result.stderr) || /can't find (window|pane)|no such (window|pane)/i.test(result.stderr)) {
          return Effect.succeed(Option.none())
        }
        return Effect.fail(new TmuxError({ message: `tmux capture-pane: ${firstErrorLine(result.stderr)}` }))
      }
    )

  const check = tmux(null, ["-V"]).pipe(
    Effect.flatMap((r) => r.code === 0 ? Effect.void : Effect.fail(new TmuxError({ message: "tmux -V failed" }))),
    Effect.mapError((e) => new TmuxError({ message: `tmux is not usable: ${e.message}` }))
  )

  return Terminal.of({ socket, session, openWindow, killWindow, killWindowsNamed, probe, capture, check })
})

/** tmux on the server that HubConfig names. */
export const TerminalLive = Layer.effect(Terminal, makeTerminal)
