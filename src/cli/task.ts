import { Args, Command, Options } from "@effect/cli"
import { Config, Effect, Option } from "effect"
import type { TaskStatus } from "../domain/Task.js"
import type { Move } from "../domain/transitions.js"
import { changeStatus, retryTask } from "../dispatch/taskActions.js"
import { TaskStore } from "../store/TaskStore.js"
import { eventTable, json, out, taskJson } from "./output.js"
import { CREATE_DEFAULTS } from "./fastArgs.js"
import { choiceOption, jsonOption, REPORT_MOVES } from "./options.js"
import { nonEmpty, parseId } from "./parse.js"
import { createTask, editTask, listTasks, parseUrl, showTask } from "./taskCore.js"

const id = Args.text({ name: "ID" }).pipe(Args.withDescription("the task: TASK-0007, task-7 or 7"))
const asJson = jsonOption("the task")

/** Inside a hub window HUB_SESSION_ID is set: the caller is the agent. */
/** The session id hub gave the agent this command runs in, if it runs in one. */
const callerSession = Config.option(Config.string("HUB_SESSION_ID")).pipe(
  Effect.orElseSucceed(() => Option.none<string>())
)
const callerIsAgent = Effect.map(callerSession, Option.isSome)

const create = Command.make("create", {
  title: Options.text("title").pipe(Options.withDescription("what the task is, in one line")),
  kind: choiceOption("task create", "kind").pipe(
    Options.withDefault(CREATE_DEFAULTS.kind),
    Options.withDescription("the kind of work (default: implement); it picks the agent's prompt and model")
  ),
  repo: Options.text("repo").pipe(
    Options.withPseudoName("owner/name"),
    Options.optional,
    Options.withDescription("owner/name of a repo added with `hub repo add` (none: the agent works in an empty folder)")
  ),
  description: Options.text("description").pipe(Options.withDefault(CREATE_DEFAULTS.description), Options.withDescription("the details, for the agent's prompt")),
  link: Options.text("link").pipe(Options.withPseudoName("URL"), Options.repeated, Options.withDescription("a URL for the agent, e.g. an issue (repeatable)")),
  status: choiceOption("task create", "status").pipe(
    Options.withDefault(CREATE_DEFAULTS.status),
    Options.withDescription("ready (default): dispatch may start it; backlog: kept until `hub task ready`")
  ),
  priority: choiceOption("task create", "priority").pipe(
    Options.withDefault(CREATE_DEFAULTS.priority),
    Options.withDescription("dispatch starts high before normal (default) before low, each the oldest first")
  ),
  after: Options.text("after").pipe(
    Options.withPseudoName("ID"),
    Options.repeated,
    Options.withDescription("a task this one waits for: it is not started until every one is done (repeatable)")
  ),
  json: jsonOption("the task (not its id)")
}, createTask).pipe(Command.withDescription("create a task (ready unless --status backlog); prints its id"))

const edit = Command.make("edit", {
  id,
  title: Options.text("title").pipe(Options.optional, Options.withDescription("the new title")),
  description: Options.text("description").pipe(Options.optional, Options.withDescription("the new description")),
  priority: choiceOption("task edit", "priority").pipe(Options.optional, Options.withDescription("the new priority")),
  json: asJson
}, editTask).pipe(Command.withDescription("change the title, description or priority of a backlog or ready task"))

const list = Command.make("list", {
  status: choiceOption("task list", "status").pipe(
    Options.repeated,
    Options.withDescription("only tasks in this status (repeatable)")
  ),
  all: Options.boolean("all").pipe(Options.withDescription("also finished tasks that have not changed for 7 days")),
  json: jsonOption("the tasks")
}, listTasks).pipe(Command.withDescription("list tasks: every open one, and finished ones from the last 7 days"))

const show = Command.make("show", { id, json: asJson }, showTask).pipe(Command.withDescription("show one task"))
const get = Command.make("get", { id, json: asJson }, showTask).pipe(Command.withDescription("alias of show"))

const moveCommand = (name: string, move: Move, to: TaskStatus, description: string) =>
  Command.make(name, { id, json: asJson }, (o) =>
    Effect.gen(function* () {
      const taskId = yield* parseId(o.id)
      const task = yield* changeStatus(taskId, move, to, { actor: "human", reason: `hub task ${name}` })
      yield* o.json ? json(taskJson(task)) : out(`${task.id} ${task.status}`)
    })).pipe(Command.withDescription(description))

const ready = moveCommand("ready", "ready", "ready", "make a backlog, blocked or in-review task ready (stops its old agent)")
const cancel = moveCommand("cancel", "cancel", "cancelled", "cancel a task (kills its agent window)")
const retry = Command.make("retry", {
  id,
  fresh: Options.boolean("fresh").pipe(
    Options.withDescription("start a new agent conversation (the worktree and its work stay); default: continue the last one where the agent can")
  ),
  json: asJson
}, (o) =>
  Effect.gen(function* () {
    const taskId = yield* parseId(o.id)
    const reason = o.fresh ? "hub task retry --fresh" : "hub task retry"
    const task = yield* retryTask(taskId, { actor: "human", reason }, { fresh: o.fresh })
    yield* o.json ? json(taskJson(task)) : out(`${task.id} ${task.status}`)
  })).pipe(Command.withDescription("make a failed task ready again (its agent continues its conversation unless --fresh)"))

const report = Command.make("report", {
  id,
  status: choiceOption("task report", "status").pipe(
    Options.withDescription(`the task's new status: ${REPORT_MOVES}`)
  ),
  reason: Options.text("reason").pipe(Options.optional, Options.withDescription("why, for the history (default: 'reported STATUS')")),
  json: asJson
}, (o) =>
  Effect.gen(function* () {
    const taskId = yield* parseId(o.id)
    const to = o.status
    const session = yield* callerSession
    const reason = Option.getOrElse(o.reason, () => `reported ${to}`)
    const task = yield* changeStatus(
      taskId,
      "report",
      to,
      { actor: Option.isSome(session) ? "agent" : "human", reason },
      Option.match(session, { onNone: () => undefined, onSome: (sessionId) => ({ sessionId }) })
    )
    yield* o.json ? json(taskJson(task)) : out(`${task.id} ${task.status}`)
  })).pipe(Command.withDescription("what an agent calls when it is done or stuck"))

const comment = Command.make("comment", {
  id,
  content: Options.text("content").pipe(Options.withDescription("the comment's text")),
  author: choiceOption("task comment", "author").pipe(
    Options.optional,
    Options.withDescription("who writes it (default: agent inside a hub window, else human)")
  ),
  json: asJson
}, (o) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const taskId = yield* parseId(o.id)
    const text = yield* nonEmpty(o.content, "the comment")
    const author = Option.isSome(o.author)
      ? o.author.value
      : (yield* callerIsAgent) ? "agent" as const : "human" as const
    const task = yield* store.comment(taskId, author, text)
    yield* o.json ? json(taskJson(task)) : out(`${task.id} comment added`)
  })).pipe(Command.withDescription("add a comment to a task"))

const link = Command.make("link", {
  id,
  url: Options.text("url").pipe(Options.withPseudoName("URL"), Options.withDescription("a URL, e.g. the pull request")),
  json: asJson
}, (o) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const taskId = yield* parseId(o.id)
    const url = yield* parseUrl(o.url)
    const task = yield* store.link(taskId, url)
    yield* o.json ? json(taskJson(task)) : out(`${task.id} linked ${url}`)
  })).pipe(Command.withDescription("attach a link (a pull request) to a task"))

const events = Command.make("events", { id, json: jsonOption("the events") }, (o) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const rows = yield* store.events(yield* parseId(o.id))
    yield* o.json ? json(rows) : out(eventTable(rows))
  })).pipe(Command.withDescription("the history of a task's status changes"))

export const taskCommand = Command.make("task").pipe(
  Command.withDescription("create, list and move tasks"),
  Command.withSubcommands([create, list, show, get, edit, ready, cancel, retry, report, comment, link, events])
)
