import { Command, Options } from "@effect/cli"
import { Effect, Logger, LogLevel } from "effect"
import { cleanup } from "../dispatch/cleanup.js"
import { daemon } from "../dispatch/daemon.js"
import { reap } from "../dispatch/reap.js"
import { reconcile } from "../dispatch/reconcile.js"
import { status, verify } from "../dispatch/status.js"
import { InvalidInput } from "../domain/errors.js"
import { boardBesideDaemon } from "./board.js"
import { isNoUsage, shortCount, type Usage } from "../domain/Usage.js"
import { exitCleanlyOnSignal } from "./signals.js"
import { jsonOption } from "./options.js"
import { flat, json, out, Reported, statusText, table } from "./output.js"
import { parseDuration } from "./parse.js"

export const reconcileCommand = Command.make("reconcile", { json: jsonOption("the report (changed, skipped)") }, (o) =>
  Effect.gen(function* () {
    const report = yield* reconcile
    if (o.json) return yield* json(report)
    for (const c of report.changed) {
      yield* out(`${c.taskId}: ${c.applied ? `in-progress → ${c.to}` : "unchanged (moved on meanwhile)"} (${c.reason})`)
    }
    for (const s of report.skipped) yield* out(`${s.taskId}: left as is (${s.why})`)
    if (report.changed.length === 0 && report.skipped.length === 0) yield* out(`${report.checked} in-progress task(s), all alive`)
  })).pipe(Command.withDescription("repair this host's in-progress tasks whose agent is gone (after a crash or kill -9), and return those of hosts that lost their lease to ready"))

/** Input (cache reads included) and output tokens, short: `12k/3.4k`; `-` before any. */
const tokens = (u: Usage) =>
  isNoUsage(u) ? "-" : `${shortCount(u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens)}/${shortCount(u.output_tokens)}`

const age = (s: number) => (s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`)

export const statusCommand = Command.make("status", { json: jsonOption("the open tasks and their agents") }, (o) =>
  Effect.gen(function* () {
    const rows = yield* status
    if (o.json) return yield* json(rows)
    yield* out(rows.length === 0 ? "no open tasks" : table(
      ["ID", "STATUS", "HOST", "WINDOW", "PANE", "AGENT", "STATE", "ACTIVE", "AGE", "TOKENS", "TITLE"],
      rows.map((r) => [
        r.id,
        statusText(r.status, r.waiting_on),
        r.host ?? "-",
        r.window_id ?? "-",
        r.pane_pid === null ? "-" : String(r.pane_pid),
        r.liveness === null ? "-" : r.detail ? `${r.liveness} (${r.detail})` : r.liveness,
        r.agent_state ?? "-",
        r.active_seconds === null ? "-" : `${age(r.active_seconds)} ago`,
        age(r.age_seconds),
        tokens(r.usage),
        flat(r.title)
      ])
    ))
  })).pipe(Command.withDescription("open tasks, with what tmux says beside what the store says (other hosts' with their host)"))

export const verifyCommand = Command.make("verify", { json: jsonOption("{ok, violations}") }, (o) =>
  Effect.gen(function* () {
    const violations = yield* verify
    if (o.json) yield* json({ ok: violations.length === 0, violations })
    else if (violations.length === 0) yield* out("ok: every invariant holds")
    else for (const v of violations) yield* out(`violation: ${v.message}`)
    if (violations.length > 0) return yield* new Reported({ code: 1 })
  })).pipe(Command.withDescription("check hub's invariants; exit 1 if any is broken (repairs nothing)"))

export const reapCommand = Command.make("reap", {
  after: Options.text("after").pipe(
    Options.withPseudoName("DURATION"),
    Options.withDefault("5m"),
    Options.withDescription("how long a task may be in review before its window is killed (default: 5m)")
  ),
  json: jsonOption("the windows killed")
}, (o) =>
  Effect.gen(function* () {
    const after = yield* parseDuration(o.after, "--after")
    const reaped = yield* reap({ after })
    if (o.json) return yield* json(reaped)
    for (const r of reaped) yield* out(`${r.taskId}: killed window ${r.windowId} (${r.why})`)
    if (reaped.length === 0) yield* out("no windows to reap")
  })).pipe(Command.withDescription("kill windows whose task no longer needs an agent"))

export const cleanupCommand = Command.make("cleanup", {
  olderThan: Options.text("older-than").pipe(
    Options.withPseudoName("DURATION"),
    Options.withDefault("72h"),
    Options.withDescription("only tasks finished longer ago than this (default: 72h)")
  ),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("say what would be removed, and remove nothing")),
  json: jsonOption("the worktrees removed or kept (and why)")
}, (o) =>
  Effect.gen(function* () {
    const olderThan = yield* parseDuration(o.olderThan, "--older-than")
    const entries = yield* cleanup({ olderThan, dryRun: o.dryRun })
    if (o.json) return yield* json(entries)
    for (const e of entries) yield* out(`${e.taskId}: ${e.action.replace("-", " ")} ${e.dir} (${e.why})`)
    if (entries.length === 0) yield* out("nothing to clean up")
  })).pipe(Command.withDescription("remove old worktrees of finished tasks that hold no unpushed work"))

export const daemonCommand = Command.make("daemon", {
  interval: Options.text("interval").pipe(
    Options.withPseudoName("DURATION"),
    Options.withDefault("30s"),
    Options.withDescription("time between ticks (default: 30s)")
  )
}, (o) =>
  Effect.gen(function* () {
    const interval = yield* parseDuration(o.interval, "--interval")
    if (interval <= 0) return yield* new InvalidInput({ message: "--interval must be more than 0" })
    yield* exitCleanlyOnSignal
    // The daemon's log is its output: one line per action.
    yield* Effect.zipRight(boardBesideDaemon, daemon({ interval })).pipe(Logger.withMinimumLogLevel(LogLevel.Info), Effect.scoped)
  })).pipe(Command.withDescription("reconcile, dispatch and reap on a schedule (hub's main job), and serve the board (HUB_BOARD_PORT)"))
