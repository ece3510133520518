import { Args, Command } from "@effect/cli"
import { Effect, Option } from "effect"
import { runHook } from "../agent/hook.js"
import { printable } from "./printable.js"

/**
 * `hub agent hook`: what an agent's hooks call. The bin runs it on a fast path of its own
 * (dist/hub-hook.cjs, see scripts/launcher.cjs); this command is the same, for `--help` and
 * for callers that go through the whole CLI.
 */
const hook = Command.make("hook", {
  payload: Args.text({ name: "JSON" }).pipe(
    Args.optional,
    Args.withDescription("the report as an argument (Codex's notify passes it so); else it is read from stdin")
  )
}, (o) =>
  Effect.promise(() =>
    runHook({
      args: Option.toArray(o.payload),
      env: process.env,
      stdin: process.stdin,
      warn: (line) => void process.stderr.write(`${printable(line)}\n`)
    })
  )).pipe(Command.withDescription(
    "record what the agent in this window is doing (a Claude Code hook's JSON, Codex's notify JSON, or {\"state\": …}); always exits 0, prints nothing on stdout"
  ))

export const agentCommand = Command.make("agent").pipe(
  Command.withDescription("what agents call from their windows"),
  Command.withSubcommands([hook])
)
