import { Command } from "@effect/cli"
import { VERSION } from "../version.js"
import { agentCommand } from "./agent.js"
import { boardCommand } from "./board.js"
import { dbCommand } from "./db.js"
import { dispatchCommand } from "./dispatch.js"
import {
  cleanupCommand,
  daemonCommand,
  reapCommand,
  reconcileCommand,
  statusCommand,
  verifyCommand
} from "./maintenance.js"
import { repoCommand } from "./repo.js"
import { taskCommand } from "./task.js"

export const hubCommand = Command.make("hub").pipe(
  Command.withDescription("a local-first dispatcher for AI coding agents"),
  Command.withSubcommands([
    taskCommand,
    repoCommand,
    dispatchCommand,
    reconcileCommand,
    statusCommand,
    verifyCommand,
    reapCommand,
    cleanupCommand,
    daemonCommand,
    boardCommand,
    agentCommand,
    dbCommand
  ])
)

export const cli = Command.run(hubCommand, { name: "hub", version: VERSION })
