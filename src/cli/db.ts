import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { hubPaths, HubConfig } from "../config.js"
import { copyToPostgres } from "../store/copy.js"
import { jsonOption } from "./options.js"
import { json, out } from "./output.js"

const copyCommand = Command.make("copy", {
  to: Options.text("to").pipe(Options.withPseudoName("URL"), Options.withDescription("the empty PostgreSQL database (postgres://…)")),
  json: jsonOption("what was copied (tasks, events, to)")
}, (o) =>
  Effect.gen(function* () {
    const copied = yield* copyToPostgres(o.to)
    if (o.json) return yield* json(copied)
    const { db } = hubPaths(yield* HubConfig)
    yield* out(`copied ${copied.tasks} task(s) and ${copied.events} event(s) from ${db} to ${copied.to}`)
  })).pipe(Command.withDescription("copy every task with its history from $HUB_HOME/hub.db into an empty PostgreSQL database"))

export const dbCommand = Command.make("db").pipe(
  Command.withDescription("the store's database: moving a queue from SQLite to PostgreSQL"),
  Command.withSubcommands([copyCommand])
)
