import { SqlClient, type SqlError } from "@effect/sql"
import { Clock, Context, Effect, Either, Layer, Option } from "effect"
import { InvalidTransition, StoreError, TaskNotFound } from "../domain/errors.js"
import {
  type Actor,
  type Author,
  type Task,
  type TaskEvent,
  type TaskKind,
  type TaskStatus,
  TERMINAL_STATUSES
} from "../domain/Task.js"
import type { TaskId } from "../domain/TaskId.js"
import { checkTransition, type Move } from "../domain/transitions.js"
import { type EventRow, eventFromRow, summaryFromRow, type SummaryRow, taskFromRow, type TaskRow, type TaskSummary } from "./rows.js"
import { SqlLive } from "./Sql.js"

export interface NewTask {
  readonly title: string
  readonly kind: TaskKind
  readonly status: "backlog" | "ready"
  readonly description: string
  readonly repo: string | null
  readonly links: ReadonlyArray<string>
}

/** A task with its revision: the compare-and-set token of optimistic updates. */
export type StoredTask = Task & { readonly rev: number }

/** Names one attempt at a task: every dispatch-side write is fenced on it. */
export interface AttemptRef {
  readonly id: TaskId
  readonly attempt: number
}

/** The process that holds a claim until dispatch commits or rolls back. */
export interface Lease {
  readonly pid: number
  readonly start: string
}

export interface Change {
  readonly actor: Actor
  readonly reason: string
}

export interface ListFilter {
  readonly statuses?: ReadonlyArray<TaskStatus>
  /** Include terminal tasks of any age (otherwise those older than `recentMs` are hidden). */
  readonly all?: boolean
  readonly recentMs?: number
}

export interface WindowRecord {
  readonly windowId: string
  readonly panePid: number
  readonly sessionId: string
  readonly tmuxSocket: string | null
  readonly tmuxSession: string
}

/** What reconcile saw, so its write changes nothing that moved in between. */
export interface ReconcileRef extends AttemptRef {
  readonly windowId: string | null
  /** Only if no start was recorded meanwhile (an agent records its own when it reports first). */
  readonly unstarted?: boolean
}

export class TaskStore extends Context.Tag("hub/TaskStore")<TaskStore, {
  readonly create: (input: NewTask) => Effect.Effect<Task, StoreError>
  readonly get: (id: TaskId) => Effect.Effect<StoredTask, TaskNotFound | StoreError>
  readonly list: (filter?: ListFilter) => Effect.Effect<ReadonlyArray<Task>, StoreError>
  /**
   * What `list` lists, only the five columns of `hub task list`'s table: a narrower SELECT,
   * no JSON columns parsed (the table of 1,000 tasks starts measurably faster).
   */
  readonly listSummaries: (filter?: ListFilter) => Effect.Effect<ReadonlyArray<TaskSummary>, StoreError>
  readonly events: (id: TaskId) => Effect.Effect<ReadonlyArray<TaskEvent>, TaskNotFound | StoreError>
  /** A move of the transition table, checked and applied as one compare-and-set. */
  readonly move: (
    id: TaskId,
    move: Move,
    to: TaskStatus,
    change: Change,
    expect?: { readonly rev: number }
  ) => Effect.Effect<{ readonly before: StoredTask; readonly after: Task }, TaskNotFound | InvalidTransition | StoreError>
  readonly comment: (id: TaskId, author: Author, text: string) => Effect.Effect<Task, TaskNotFound | StoreError>
  readonly link: (id: TaskId, url: string) => Effect.Effect<Task, TaskNotFound | StoreError>
  readonly inProgress: Effect.Effect<ReadonlyArray<StoredTask>, StoreError>
  /** Takes the oldest ready task if fewer than `cap` are in-progress: one serialized write. */
  readonly claimNext: (cap: number, lease: Lease) => Effect.Effect<Option.Option<StoredTask>, StoreError>
  readonly setWorkspace: (ref: AttemptRef, dir: string, fresh: boolean) => Effect.Effect<void, StoreError>
  /** Undoes a claim; false when the attempt had already moved on (nothing is changed then). */
  readonly rollback: (
    ref: AttemptRef,
    to: "ready" | "failed",
    reason: string,
    error: string | null
  ) => Effect.Effect<boolean, StoreError>
  /**
   * Records the live window; accepts an attempt that an agent already moved on, but not one a
   * person cancelled meanwhile (false: the dispatch then undoes its window).
   */
  readonly commitDispatch: (ref: AttemptRef, window: WindowRecord) => Effect.Effect<boolean, StoreError>
  /**
   * An attempt's agent proved it runs (it reported) before its dispatcher committed: records
   * the start ("agent started", actor agent) with the window if it is known. False when the
   * start is already recorded or the attempt is no longer in progress. The dispatcher's own
   * commit, if it still comes, then fills in its window without a second event, and its
   * rollback no longer applies.
   */
  readonly recordStart: (
    ref: AttemptRef,
    start: { readonly sessionId: string; readonly window: Omit<WindowRecord, "sessionId"> | null },
    reason: string
  ) => Effect.Effect<boolean, StoreError>
  readonly reconcile: (
    ref: ReconcileRef,
    to: "ready" | "in-review" | "failed",
    reason: string,
    error: string | null
  ) => Effect.Effect<boolean, StoreError>
}>() {}

const storeError = (error: SqlError.SqlError) => {
  const cause = error.cause
  return new StoreError({ message: `database: ${cause instanceof Error ? cause.message : error.message}` })
}

const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

/** How many times an optimistic move re-reads a task that changed under it. */
const CAS_ATTEMPTS = 20

export const makeTaskStore = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const getRow = (id: TaskId) =>
    sql<TaskRow>`SELECT * FROM tasks WHERE id = ${id}`.pipe(
      Effect.mapError(storeError),
      Effect.flatMap((rows) =>
        rows.length === 0 ? Effect.fail(TaskNotFound.of(id)) : Effect.succeed(taskFromRow(rows[0]!))
      )
    )

  const create = (input: NewTask) =>
    Effect.gen(function* () {
      const at = yield* now
      // One statement: SQLite takes the write lock before it reads MAX(seq), so processes
      // creating tasks at once never allocate the same id.
      const rows = yield* sql<TaskRow>`
        INSERT INTO tasks (seq, id, title, kind, status, description, repo, links, comments,
                           change_actor, change_reason, created_at, updated_at)
        SELECT n, printf('TASK-%04d', n), ${input.title}, ${input.kind}, ${input.status},
               ${input.description}, ${input.repo}, ${JSON.stringify(input.links)}, '[]',
               'human', 'created', ${at}, ${at}
        FROM (SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM tasks)
        RETURNING *`
      return taskFromRow(rows[0]!)
    }).pipe(Effect.mapError(storeError), Effect.withSpan("TaskStore.create"))

  /** The WHERE clause of what `list` shows: these statuses, and finished tasks only if recent. */
  const listed = (filter: ListFilter) =>
    Effect.map(Clock.currentTimeMillis, (ms) => {
      const statuses = filter.statuses && filter.statuses.length > 0 ? filter.statuses : undefined
      const since = new Date(ms - (filter.recentMs ?? 7 * 24 * 3600_000)).toISOString()
      const byStatus = statuses ? sql`status IN ${sql.in(statuses)}` : sql`1 = 1`
      const recent = filter.all
        ? sql`1 = 1`
        : sql`(status NOT IN ${sql.in(TERMINAL_STATUSES)} OR updated_at >= ${since})`
      return sql`${byStatus} AND ${recent}`
    })

  const list = (filter: ListFilter = {}) =>
    listed(filter).pipe(
      Effect.flatMap((where) => sql<TaskRow>`SELECT * FROM tasks WHERE ${where} ORDER BY seq`),
      Effect.map((rows) => rows.map(taskFromRow)),
      Effect.mapError(storeError)
    )

  const listSummaries = (filter: ListFilter = {}) =>
    listed(filter).pipe(
      Effect.flatMap((where) => sql<SummaryRow>`SELECT id, status, kind, repo, title FROM tasks WHERE ${where} ORDER BY seq`),
      Effect.map((rows) => rows.map(summaryFromRow)),
      Effect.mapError(storeError)
    )

  const events = (id: TaskId) =>
    getRow(id).pipe(
      Effect.zipRight(sql<EventRow>`SELECT * FROM events WHERE task_id = ${id} ORDER BY id`.pipe(Effect.mapError(storeError))),
      Effect.map((rows) => rows.map(eventFromRow))
    )

  const move = (id: TaskId, move: Move, to: TaskStatus, change: Change, expect?: { readonly rev: number }) =>
    Effect.gen(function* () {
      for (let i = 0; i < CAS_ATTEMPTS; i++) {
        const before = yield* getRow(id)
        if (expect && before.rev !== expect.rev) {
          return yield* new InvalidTransition({
            taskId: id,
            from: before.status,
            to,
            message: `${id} changed while it was being moved (now ${before.status}); nothing was done`
          })
        }
        const checked = checkTransition(id, before.status, move, to)
        if (Either.isLeft(checked)) return yield* checked.left
        const at = yield* now
        const rows = yield* sql<TaskRow>`
          UPDATE tasks SET status = ${to}, rev = rev + 1, change_actor = ${change.actor},
                 change_reason = ${change.reason}, updated_at = ${at},
                 error = CASE WHEN ${to} = 'ready' THEN NULL ELSE error END,
                 lease_pid = NULL, lease_start = NULL
          WHERE id = ${id} AND rev = ${before.rev}
          RETURNING *`.pipe(Effect.mapError(storeError))
        if (rows.length > 0) return { before, after: taskFromRow(rows[0]!) }
      }
      return yield* new StoreError({ message: `${id} kept changing; try again` })
    }).pipe(Effect.withSpan("TaskStore.move"))

  const appendJson = (id: TaskId, column: "comments" | "links", value: unknown) =>
    Effect.gen(function* () {
      const at = yield* now
      const json = JSON.stringify(value)
      const rows = yield* (column === "comments"
        ? sql<TaskRow>`UPDATE tasks SET comments = json_insert(comments, '$[#]', json(${json})), updated_at = ${at}
                       WHERE id = ${id} RETURNING *`
        : sql<TaskRow>`UPDATE tasks SET links = json_insert(links, '$[#]', json(${json})), updated_at = ${at}
                       WHERE id = ${id} AND NOT EXISTS (SELECT 1 FROM json_each(links) WHERE value = ${value as string})
                       RETURNING *`).pipe(Effect.mapError(storeError))
      return rows.length > 0 ? taskFromRow(rows[0]!) : yield* getRow(id)
    })

  const comment = (id: TaskId, author: Author, text: string) =>
    Effect.flatMap(now, (at) => appendJson(id, "comments", { author, text, at }))

  const link = (id: TaskId, url: string) => appendJson(id, "links", url)

  const inProgress = sql<TaskRow>`SELECT * FROM tasks WHERE status = 'in-progress' ORDER BY seq`.pipe(
    Effect.map((rows) => rows.map(taskFromRow)),
    Effect.mapError(storeError)
  )

  const claimNext = (cap: number, lease: Lease) =>
    Effect.gen(function* () {
      const at = yield* now
      // The cap check and the claim are one statement, so one write lock covers both.
      const rows = yield* sql<TaskRow>`
        UPDATE tasks SET status = 'in-progress', attempt = attempt + 1, rev = rev + 1,
               lease_pid = ${lease.pid}, lease_start = ${lease.start}, error = NULL,
               window_id = NULL, pane_pid = NULL, session_id = NULL, tmux_socket = NULL,
               tmux_session = NULL, workspace_fresh = 0, started_at = NULL,
               change_actor = 'dispatcher', change_reason = 'claimed', updated_at = ${at}
        WHERE seq = (SELECT seq FROM tasks WHERE status = 'ready' ORDER BY seq LIMIT 1)
          AND (SELECT count(*) FROM tasks WHERE status = 'in-progress') < ${cap}
        RETURNING *`
      return Option.map(Option.fromNullable(rows[0]), taskFromRow)
    }).pipe(Effect.mapError(storeError), Effect.withSpan("TaskStore.claimNext"))

  const setWorkspace = (ref: AttemptRef, dir: string, fresh: boolean) =>
    sql`UPDATE tasks SET workspace = ${dir}, workspace_fresh = ${fresh ? 1 : 0}
        WHERE id = ${ref.id} AND attempt = ${ref.attempt}`.pipe(Effect.asVoid, Effect.mapError(storeError))

  const rollback = (ref: AttemptRef, to: "ready" | "failed", reason: string, error: string | null) =>
    Effect.gen(function* () {
      const at = yield* now
      const rows = yield* sql`
        UPDATE tasks SET status = ${to}, rev = rev + 1, error = ${error}, lease_pid = NULL,
               lease_start = NULL, change_actor = 'dispatcher', change_reason = ${reason}, updated_at = ${at}
        WHERE id = ${ref.id} AND attempt = ${ref.attempt} AND status = 'in-progress' AND started_at IS NULL
        RETURNING id`
      return rows.length > 0
    }).pipe(Effect.mapError(storeError), Effect.withSpan("TaskStore.rollback"))

  const recordStart = (
    ref: AttemptRef,
    start: { readonly sessionId: string; readonly window: Omit<WindowRecord, "sessionId"> | null },
    reason: string
  ) =>
    Effect.gen(function* () {
      const at = yield* now
      const w = start.window
      const rows = yield* sql`
        UPDATE tasks SET session_id = ${start.sessionId}, started_at = ${at},
               window_id = ${w?.windowId ?? null}, pane_pid = ${w?.panePid ?? null},
               tmux_socket = ${w?.tmuxSocket ?? null}, tmux_session = ${w?.tmuxSession ?? null},
               rev = rev + 1, change_actor = 'agent', change_reason = ${reason}, updated_at = ${at}
        WHERE id = ${ref.id} AND attempt = ${ref.attempt} AND status = 'in-progress' AND started_at IS NULL
        RETURNING id`
      return rows.length > 0
    }).pipe(Effect.mapError(storeError), Effect.withSpan("TaskStore.recordStart"))

  const commitDispatch = (ref: AttemptRef, window: WindowRecord) =>
    Effect.gen(function* () {
      const at = yield* now
      const rows = yield* sql`
        UPDATE tasks SET window_id = ${window.windowId}, pane_pid = ${window.panePid},
               session_id = ${window.sessionId}, tmux_socket = ${window.tmuxSocket},
               tmux_session = ${window.tmuxSession}, lease_pid = NULL, lease_start = NULL,
               started_at = COALESCE(started_at, ${at}),
               -- An agent that already recorded its start: one "agent started" per attempt.
               rev = CASE WHEN started_at IS NULL THEN rev + 1 ELSE rev END,
               change_actor = CASE WHEN started_at IS NULL THEN 'dispatcher' ELSE change_actor END,
               change_reason = CASE WHEN started_at IS NULL THEN 'agent started' ELSE change_reason END,
               updated_at = CASE WHEN started_at IS NULL THEN ${at} ELSE updated_at END
        WHERE id = ${ref.id} AND attempt = ${ref.attempt} AND status NOT IN ('ready', 'backlog', 'cancelled')
        RETURNING id`
      return rows.length > 0
    }).pipe(Effect.mapError(storeError), Effect.withSpan("TaskStore.commitDispatch"))

  const reconcile = (ref: ReconcileRef, to: "ready" | "in-review" | "failed", reason: string, error: string | null) =>
    Effect.gen(function* () {
      const at = yield* now
      const rows = yield* sql`
        UPDATE tasks SET status = ${to}, rev = rev + 1, error = ${error}, lease_pid = NULL,
               lease_start = NULL, change_actor = 'reconciler', change_reason = ${reason}, updated_at = ${at}
        WHERE id = ${ref.id} AND attempt = ${ref.attempt} AND status = 'in-progress'
          AND window_id IS ${ref.windowId} AND (${ref.unstarted ? 1 : 0} = 0 OR started_at IS NULL)
        RETURNING id`
      return rows.length > 0
    }).pipe(Effect.mapError(storeError), Effect.withSpan("TaskStore.reconcile"))

  return TaskStore.of({
    create,
    get: getRow,
    list,
    listSummaries,
    events,
    move,
    comment,
    link,
    inProgress,
    claimNext,
    setWorkspace,
    rollback,
    commitDispatch,
    recordStart,
    reconcile
  })
})

/** The store over whatever SqlClient is provided (SQLite by default, see TaskStoreLive). */
export const TaskStoreFromSql = Layer.effect(TaskStore, makeTaskStore)

/** The store on `$HUB_HOME/hub.db`. */
export const TaskStoreLive = TaskStoreFromSql.pipe(Layer.provide(SqlLive))

