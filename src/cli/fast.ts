/**
 * The fast path of the commonest commands (which, and in which forms: fastArgs.ts): run on
 * the store alone, without @effect/cli (building its command tree is much of a start) and
 * without the workspace, terminal and agent services. What they print and how they end is
 * the full CLI's: they run the same effects (taskCore.ts) the same way (runner.ts), on the
 * same store, whose writes are announced to the daemons (store/Changes.ts).
 */
import { Effect, Layer, Option } from "effect"
import { HubConfigLive } from "../config.js"
import { LocalChangesLive, withAnnouncedWrites } from "../store/Changes.js"
import { SqliteTaskStoreLive } from "../store/TaskStore.js"
import type { FastCommand } from "./fastArgs.js"
import { runProgram, verdictWith } from "./runner.js"
import { createTask, listTasks, showTask } from "./taskCore.js"

/** A command the fast path runs (what it refuses, fastMain.ts says itself). */
type Runnable = Exclude<FastCommand, { readonly command: "refused" }>

const program = (command: Runnable) =>
  command.command === "list"
    ? listTasks(command)
    : command.command === "show"
    ? showTask(command)
    : createTask({ ...command, repo: Option.fromNullable(command.repo) })

/**
 * SQLite only: with HUB_DATABASE_URL set the fast path declines (fastMain.ts), so that this
 * bundle never carries the PostgreSQL driver.
 */
const store = withAnnouncedWrites(Layer.merge(SqliteTaskStoreLive, LocalChangesLive)).pipe(Layer.provide(HubConfigLive))

/** Runs a command fastArgs.ts accepted; the full CLI's verdicts, none of them a usage error. */
export const runFast = (command: Runnable) =>
  runProgram(program(command).pipe(Effect.provide(store)), verdictWith(() => undefined))
