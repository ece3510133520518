/**
 * The commonest task commands (create, list, show), as effects that need only the store:
 * both the full CLI (task.ts, through @effect/cli) and its fast path (fast.ts) run these.
 * Nothing here imports @effect/cli, so the fast path never initialises it.
 */
import { Effect, Either, Option, Schema } from "effect"
import { InvalidInput } from "../domain/errors.js"
import { RepoName } from "../domain/Task.js"
import { TaskStore } from "../store/TaskStore.js"
import { json, out, taskDetail, taskJson, taskTable } from "./output.js"
import { nonEmpty, parseId, parseKind, parseStatus } from "./parse.js"

export const parseUrl = (url: string) =>
  Effect.try({
    try: () => new URL(url.trim()).toString() && url.trim(),
    catch: () => new InvalidInput({ message: `not a URL: '${url}'` })
  })

export interface CreateOptions {
  readonly title: string
  readonly kind: string
  readonly repo: Option.Option<string>
  readonly description: string
  readonly link: ReadonlyArray<string>
  readonly status: string
  readonly json: boolean
}

export const createTask = (o: CreateOptions) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const title = yield* nonEmpty(o.title, "the title")
    const kind = yield* parseKind(o.kind)
    const status = yield* parseStatus(o.status)
    if (status !== "ready" && status !== "backlog") {
      return yield* new InvalidInput({ message: `a new task is ready or backlog, not ${status}` })
    }
    const repo = Option.isSome(o.repo) ? o.repo.value.trim() : null
    if (repo !== null && Either.isLeft(Schema.decodeUnknownEither(RepoName)(repo))) {
      return yield* new InvalidInput({ message: `not a repo name: '${repo}' (expected owner/name)` })
    }
    const links = [...new Set(yield* Effect.forEach(o.link, parseUrl))]
    const task = yield* store.create({ title, kind, status, description: o.description, repo, links })
    yield* o.json ? json(taskJson(task)) : out(task.id)
  })

export interface ListOptions {
  readonly status: ReadonlyArray<string>
  readonly all: boolean
  readonly json: boolean
}

export const listTasks = (o: ListOptions) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const statuses = yield* Effect.forEach(o.status, parseStatus)
    yield* o.json
      ? Effect.flatMap(store.list({ statuses, all: o.all }), (tasks) => json(tasks.map(taskJson)))
      : Effect.flatMap(store.listSummaries({ statuses, all: o.all }), (tasks) => out(taskTable(tasks)))
  })

export interface ShowOptions {
  readonly id: string
  readonly json: boolean
}

export const showTask = (o: ShowOptions) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const task = yield* store.get(yield* parseId(o.id))
    yield* o.json ? json(taskJson(task)) : out(taskDetail(task))
  })
