import { Args, Command } from "@effect/cli"
import { Effect } from "effect"
import { Workspace } from "../workspace/Workspace.js"
import { jsonOption } from "./options.js"
import { json, out, table } from "./output.js"

const add = Command.make("add", {
  name: Args.text({ name: "owner/name" }).pipe(Args.withDescription("the name tasks give with --repo")),
  url: Args.text({ name: "URL" }).pipe(Args.withDescription("a git URL or a local path to clone from")),
  json: jsonOption("the repo")
}, (o) =>
  Effect.gen(function* () {
    const workspace = yield* Workspace
    const repo = yield* workspace.addRepo(o.name, o.url)
    yield* o.json ? json(repo) : out(`${repo.name} cloned to ${repo.path}`)
  })).pipe(Command.withDescription("make a bare clone under $HUB_HOME/repos for tasks to use"))

const list = Command.make("list", { json: jsonOption("the repos") }, (o) =>
  Effect.gen(function* () {
    const workspace = yield* Workspace
    const repos = yield* workspace.listRepos
    yield* o.json
      ? json(repos)
      : out(repos.length === 0 ? "no repos (add one: hub repo add owner/name URL)" : table(["REPO", "URL", "PATH"], repos.map((r) => [r.name, r.url, r.path])))
  })).pipe(Command.withDescription("list the repos hub can dispatch to"))

export const repoCommand = Command.make("repo").pipe(
  Command.withDescription("the repositories tasks work in"),
  Command.withSubcommands([add, list])
)
