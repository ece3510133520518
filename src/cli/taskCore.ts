/**
 * The commonest task commands (create, list, show), as effects that need only the store:
 * both the full CLI (task.ts, through @effect/cli) and its fast path (fast.ts) run these.
 * Nothing here imports @effect/cli, so the fast path never initialises it.
 */
import { Effect, Either, Option, Schema } from "effect"
import { InvalidInput } from "../domain/errors.js"
import { RepoName, type TaskKind, type TaskPriority, type TaskStatus } from "../domain/Task.js"
import { TaskStore } from "../store/TaskStore.js"
import { err, json, out, Reported, taskDetail, taskJson, taskTable } from "./output.js"
import { nonEmpty, parseId } from "./parse.js"

export const parseUrl = (url: string) =>
  Effect.try({
    try: () => new URL(url.trim()).toString() && url.trim(),
    catch: () => new InvalidInput({ message: `not a URL: '${url}'` })
  })

/** What `hub task create` was given; kind and status already checked against their choices. */
export interface CreateOptions {
  readonly title: string
  readonly kind: TaskKind
  readonly repo: Option.Option<string>
  readonly description: string
  readonly link: ReadonlyArray<string>
  readonly status: "ready" | "backlog"
  readonly priority: TaskPriority
  /** Ids as people type them (TASK-0007, task-7, 7). */
  readonly after: ReadonlyArray<string>
  readonly json: boolean
}

export const createTask = (o: CreateOptions) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const title = yield* nonEmpty(o.title, "the title")
    const { kind, status } = o
    const repo = Option.isSome(o.repo) ? o.repo.value.trim() : null
    if (repo !== null && Either.isLeft(Schema.decodeUnknownEither(RepoName)(repo))) {
      return yield* new InvalidInput({ message: `not a repo name: '${repo}' (expected owner/name)` })
    }
    const links = [...new Set(yield* Effect.forEach(o.link, parseUrl))]
    const after = yield* Effect.forEach(o.after, parseId)
    const task = yield* store.create({ title, kind, status, priority: o.priority, after, description: o.description, repo, links })
    yield* o.json ? json(taskJson(task)) : out(task.id)
  })

export interface EditOptions {
  readonly id: string
  readonly title: Option.Option<string>
  readonly description: Option.Option<string>
  readonly priority: Option.Option<TaskPriority>
  readonly json: boolean
}

export const editTask = (o: EditOptions) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const id = yield* parseId(o.id)
    if (Option.isNone(o.title) && Option.isNone(o.description) && Option.isNone(o.priority)) {
      // A missing option, as the parser would say it: a usage error (exit 2).
      yield* err("hub: nothing to change: give --title, --description or --priority (see --help)")
      return yield* new Reported({ code: 2 })
    }
    const title = Option.isSome(o.title) ? yield* nonEmpty(o.title.value, "the title") : undefined
    const task = yield* store.edit(id, {
      ...(title === undefined ? {} : { title }),
      ...Option.match(o.description, { onNone: () => ({}), onSome: (description) => ({ description }) }),
      ...Option.match(o.priority, { onNone: () => ({}), onSome: (priority) => ({ priority }) })
    })
    yield* o.json ? json(taskJson(task)) : out(`${task.id} edited`)
  })

export interface ListOptions {
  readonly status: ReadonlyArray<TaskStatus>
  readonly all: boolean
  readonly json: boolean
}

export const listTasks = (o: ListOptions) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const filter = { statuses: o.status, all: o.all }
    yield* o.json
      ? Effect.flatMap(store.list(filter), (tasks) => json(tasks.map(taskJson)))
      : Effect.flatMap(store.listSummaries(filter), (tasks) => out(taskTable(tasks)))
  })

export interface ShowOptions {
  readonly id: string
  readonly json: boolean
}

export const showTask = (o: ShowOptions) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const id = yield* parseId(o.id)
    const task = yield* store.get(id)
    if (o.json) return yield* json(taskJson(task))
    const unmet = task.after.length === 0 ? [] : (yield* store.unmetDependencies(id)).get(id) ?? []
    yield* out(taskDetail(task, unmet, yield* store.attemptUsage(id)))
  })
