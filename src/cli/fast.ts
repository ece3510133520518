/**
 * The fast path of the commonest commands (which, and in which forms: fastArgs.ts): run on
 * the store alone, without @effect/cli (building its command tree is much of a start) and
 * without the workspace, terminal and agent services. What they print and how they end is
 * the full CLI's: they run the same effects (taskCore.ts) the same way (runner.ts).
 */
import { Effect, Layer, Option } from "effect"
import { HubConfigLive } from "../config.js"
import { TaskStoreLive } from "../store/TaskStore.js"
import type { FastCommand } from "./fastArgs.js"
import { runProgram, verdictWith } from "./runner.js"
import { createTask, listTasks, showTask } from "./taskCore.js"

const program = (command: FastCommand) =>
  command.command === "list"
    ? listTasks(command)
    : command.command === "show"
    ? showTask(command)
    : createTask({ ...command, repo: Option.fromNullable(command.repo) })

/** Runs a command fastArgs.ts accepted; the full CLI's verdicts, none of them a usage error. */
export const runFast = (command: FastCommand) =>
  runProgram(program(command).pipe(Effect.provide(TaskStoreLive.pipe(Layer.provide(HubConfigLive)))), verdictWith(() => undefined))
