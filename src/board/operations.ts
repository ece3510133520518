/**
 * What the board does, as effects over the library: the same calls as the CLI's commands
 * (TaskStore, changeStatus), so the same refusals. The page sends text; it is checked here
 * as `hub task create` checks its options.
 */
import { Effect, Either, Option, Schema } from "effect"
import { HubConfig } from "../config.js"
import { changeStatus } from "../dispatch/taskActions.js"
import { InvalidInput } from "../domain/errors.js"
import { parseTaskId } from "../domain/input.js"
import { KIND_VALUES } from "../domain/literals.js"
import { RepoName, type TaskKind } from "../domain/Task.js"
import { ownsAgent } from "../domain/transitions.js"
import { Changes } from "../store/Changes.js"
import { TaskStore } from "../store/TaskStore.js"
import { Terminal } from "../terminal/Terminal.js"
import { Workspace } from "../workspace/Workspace.js"
import { ACTIONS, type Action, cardOf, detailOf } from "./view.js"

/** How many lines of an agent's pane the page shows. */
export const PANE_LINES = 40

const why = (reason: string) => ({ actor: "human" as const, reason })

export const idOf = (input: string) => Either.match(parseTaskId(input), { onLeft: Effect.fail, onRight: Effect.succeed })

/** The create form's body: every field text, as the form sends it. */
export const CreateBody = Schema.Struct({
  title: Schema.String,
  description: Schema.optional(Schema.String),
  repo: Schema.optional(Schema.NullOr(Schema.String)),
  kind: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String)
})

export const CommentBody = Schema.Struct({ text: Schema.String })

const isKind = (value: string): value is TaskKind => (KIND_VALUES as ReadonlyArray<string>).includes(value)

/**
 * A person's change made inside a daemon wakes that daemon at once, as a CLI's does (the
 * store's announcement reaches only the other processes).
 */
const wakingHere = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.tap(effect, () => Effect.flatMap(Changes, (changes) => changes.wakeHere))

export const createTask = (body: typeof CreateBody.Type) =>
  Effect.gen(function* () {
    const title = body.title.trim()
    if (title === "") return yield* new InvalidInput({ message: "the title may not be empty" })
    const kind = (body.kind ?? "implement").trim().toLowerCase() || "implement"
    if (!isKind(kind)) return yield* new InvalidInput({ message: `not a kind: '${body.kind}' (one of: ${KIND_VALUES.join(", ")})` })
    const status = (body.status ?? "ready").trim().toLowerCase() || "ready"
    if (status !== "ready" && status !== "backlog") {
      return yield* new InvalidInput({ message: `not a status for a new task: '${body.status}' (one of: ready, backlog)` })
    }
    const repo = body.repo?.trim() || null
    if (repo !== null && Either.isLeft(Schema.decodeUnknownEither(RepoName)(repo))) {
      return yield* new InvalidInput({ message: `not a repo name: '${repo}' (expected owner/name)` })
    }
    const store = yield* TaskStore
    return yield* store.create({ title: body.title, kind, status, description: body.description ?? "", repo, links: [] })
  }).pipe(wakingHere)

export const act = (input: string, action: Action) =>
  Effect.gen(function* () {
    const id = yield* idOf(input)
    const { move, to } = ACTIONS[action]
    return yield* changeStatus(id, move, to, why(`board: ${action}`))
  }).pipe(wakingHere)

export const comment = (input: string, body: typeof CommentBody.Type) =>
  Effect.gen(function* () {
    const id = yield* idOf(input)
    if (body.text.trim() === "") return yield* new InvalidInput({ message: "the comment may not be empty" })
    const store = yield* TaskStore
    return yield* store.comment(id, "human", body.text)
  }).pipe(wakingHere)

export const detail = (input: string) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const id = yield* idOf(input)
    const task = yield* store.get(id)
    return detailOf(task, yield* store.events(id))
  })

/**
 * The agent's screen: the pane of the task's recorded window, on its own tmux server. An agent
 * of another host runs on that machine's tmux: this one's is never asked about it.
 */
export const pane = (input: string) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const task = yield* store.get(yield* idOf(input))
    const { host } = yield* HubConfig
    const here = task.host === null || task.host === host
    if (!here || !ownsAgent(task.status) || task.window_id === null) return { id: task.id, live: false, pane: null }
    const terminal = yield* Terminal
    const shown = yield* terminal.capture({ windowId: task.window_id, socket: task.tmux_socket }, PANE_LINES)
    return { id: task.id, live: Option.isSome(shown), pane: Option.getOrNull(shown) }
  })

export const diff = (input: string) =>
  Effect.gen(function* () {
    const store = yield* TaskStore
    const task = yield* store.get(yield* idOf(input))
    const workspace = yield* Workspace
    return { id: task.id, diff: Option.getOrNull(yield* workspace.diffStat(task.id, task.repo)) }
  })

export const cards = Effect.map(Effect.flatMap(TaskStore, (store) => store.list({})), (tasks) => tasks.map(cardOf))
