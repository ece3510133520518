/**
 * The commonest task commands (create, list, show), as effects that need only the store:
 * both the full CLI (task.ts, through @effect/cli) and its fast path (fast.ts) run these.
 * Nothing here imports @effect/cli, so the fast path never initialises it.
 */
import { Effect, Either, Option, Schema } from "effect"
import { InvalidInput } from "../domain/errors.js"
import { RepoName, type TaskKind, type TaskStatus } from "../domain/Task.js"
import { TaskStore } from "../store/TaskStore.js"
import { json, out, taskDetail, taskJson, taskTable } from "./output.js"
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
    const task = yield* store.create({ title, kind, status, description: o.description, repo, links })
    yield* o.json ? json(taskJson(task)) : out(task.id)
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
    const task = yield* store.get(yield* parseId(o.id))
    yield* o.json ? json(taskJson(task)) : out(taskDetail(task, yield* store.attemptUsage(task.id)))
  })
