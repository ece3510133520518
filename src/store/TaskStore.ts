import { SqlClient, type SqlError, SqlSchema, type Statement } from "@effect/sql"
import { Array as Arr, Clock, Context, Effect, Either, Layer, Option, type ParseResult, Schema } from "effect"
import type { AgentStatus } from "../domain/AgentState.js"
import { DEPENDENCY_MET, type Dependency } from "../domain/dependencies.js"
import { InvalidTransition, NotEditable, StoreError, TaskNotFound } from "../domain/errors.js"
import type { Actor, Author, Task, TaskEvent, TaskKind, TaskPriority, TaskStatus } from "../domain/Task.js"
import { TaskId } from "../domain/TaskId.js"
import {
  checkTransition,
  CLAIMABLE,
  CLAIMED,
  COMMITTABLE,
  FINISHED,
  type Move,
  NOT_STARTED,
  AGENT_OWNING,
  RECLAIM_TO,
  RECONCILE_FROM,
  ROLLBACK_FROM,
  UNFINISHED
} from "../domain/transitions.js"
import { messageOf } from "../shared/messages.js"
import { type AttemptQueries, makeAttemptQueries } from "./attempts.js"
import { compileDecoder } from "./decoder.js"
import { describeRowError, EventRow, HostedAttemptRow, HostLeaseRow, SummaryRow, type TaskSummary, TaskRow, UnmetRow } from "./rows.js"
import { SqlLive } from "./Sql.js"

export interface NewTask {
  readonly title: string
  readonly kind: TaskKind
  readonly status: "backlog" | "ready"
  readonly description: string
  readonly repo: string | null
  readonly links: ReadonlyArray<string>
  /** Default `normal`. */
  readonly priority?: TaskPriority
  /** The tasks it waits for (each must exist); default none. */
  readonly after?: ReadonlyArray<TaskId>
}

/** What `hub task edit` may change, of a task not yet started; what is absent stays. */
export interface TaskEdit {
  readonly title?: string
  readonly description?: string
  readonly priority?: TaskPriority
}

/**
 * A task with the store's bookkeeping: its revision (the compare-and-set token of optimistic
 * updates), who made its last change, when its agent last showed life and how far reconcile
 * has read the agent's signals.
 */
export type StoredTask = typeof TaskRow.Type

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

/** What a policy saw: the attempt, its window, the status it moves from and the revision. */
export interface PolicyRef extends AttemptRef {
  readonly windowId: string | null
  readonly from: TaskStatus
  readonly rev: number
}

/** Another host's in-progress attempt, with what its host last showed of its life. */
export interface HostedAttempt extends AttemptRef {
  readonly host: string
  /** When the host last renewed its lease; null when it never has. */
  readonly renewed_at: string | null
  readonly claimed_at: string | null
}

/** A host's lease: when its daemon (or a running `hub dispatch`) last said it is up. */
export interface HostLease {
  readonly name: string
  readonly renewed_at: string
}

/** What a move requires of the task it changes (see TaskStore.move). */
export interface MoveExpectation {
  readonly rev?: number
  readonly attempt?: number
}

export class TaskStore extends Context.Tag("hub/TaskStore")<TaskStore, {
  /** TaskNotFound: a task of `after` does not exist (and nothing was created). */
  readonly create: (input: NewTask) => Effect.Effect<Task, TaskNotFound | StoreError>
  readonly get: (id: TaskId) => Effect.Effect<StoredTask, TaskNotFound | StoreError>
  readonly list: (filter?: ListFilter) => Effect.Effect<ReadonlyArray<StoredTask>, StoreError>
  /**
   * What `list` lists, only the columns of `hub task list`'s table: a narrower SELECT, no JSON
   * columns parsed (the table of 1,000 tasks starts measurably faster); with, for each task not
   * yet started, its dependencies that are not done.
   */
  readonly listSummaries: (filter?: ListFilter) => Effect.Effect<ReadonlyArray<TaskSummary>, StoreError>
  /**
   * The dependencies not done of every task not yet started (backlog, ready) that has any, or
   * of the one task `id`: what keeps it from being claimed. Tasks not in the map wait for nothing.
   */
  readonly unmetDependencies: (id?: TaskId) => Effect.Effect<ReadonlyMap<TaskId, ReadonlyArray<Dependency>>, StoreError>
  /**
   * Changes the title, description or priority of a task not yet started (backlog, ready): one
   * compare-and-set on its status, so a claim in between wins and the edit is refused. Not a
   * status change: no event, as for a comment.
   */
  readonly edit: (id: TaskId, patch: TaskEdit) => Effect.Effect<Task, TaskNotFound | NotEditable | StoreError>
  readonly events: (id: TaskId) => Effect.Effect<ReadonlyArray<TaskEvent>, TaskNotFound | StoreError>
  /**
   * A move of the transition table, checked and applied as one compare-and-set; with `expect`,
   * only while the task is still at that revision, or still at that attempt (an agent's report
   * is fenced on its own attempt).
   */
  readonly move: (
    id: TaskId,
    move: Move,
    to: TaskStatus,
    change: Change,
    expect?: MoveExpectation
  ) => Effect.Effect<{ readonly before: StoredTask; readonly after: Task }, TaskNotFound | InvalidTransition | StoreError>
  readonly comment: (id: TaskId, author: Author, text: string) => Effect.Effect<Task, TaskNotFound | StoreError>
  readonly link: (id: TaskId, url: string) => Effect.Effect<Task, TaskNotFound | StoreError>
  /** Every in-progress task, on whichever host. */
  readonly inProgress: Effect.Effect<ReadonlyArray<StoredTask>, StoreError>
  /** The in-progress tasks whose current attempt runs on `host`: what its reconcile judges. */
  readonly inProgressOn: (host: string) => Effect.Effect<ReadonlyArray<StoredTask>, StoreError>
  /**
   * Takes for `host` the ready task of the highest priority, the oldest first, whose
   * dependencies are all done, if fewer than `cap` are in-progress there: one serialized write.
   */
  readonly claimNext: (cap: number, lease: Lease, host: string) => Effect.Effect<Option.Option<StoredTask>, StoreError>
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
  /** Every task of `host` whose agent may be live (in-progress, blocked, in-review). */
  readonly withAgentsOn: (host: string) => Effect.Effect<ReadonlyArray<StoredTask>, StoreError>
  /**
   * Gives `host` the attempts recorded before hosts were (no host): on SQLite those ran on the
   * one machine that used the file. Returns how many.
   */
  readonly adoptUnhosted: (host: string) => Effect.Effect<number, StoreError>
  /** Renews `host`'s lease (creates it the first time). */
  readonly renewHost: (host: string) => Effect.Effect<void, StoreError>
  /** Every host's lease. */
  readonly hostLeases: Effect.Effect<ReadonlyArray<HostLease>, StoreError>
  /** The in-progress attempts of every host but `host`, with their host's lease. */
  readonly inProgressElsewhere: (host: string) => Effect.Effect<ReadonlyArray<HostedAttempt>, StoreError>
  /**
   * Returns an attempt whose host lost its lease to `ready` (the table's reconcile move, actor
   * reconciler): only if it is still that attempt, in progress there, and neither the host's
   * lease nor the claim is at or after `cutoff` (a host that renewed meanwhile keeps it). False
   * when nothing was changed.
   */
  readonly reclaim: (ref: AttemptRef & { readonly host: string }, cutoff: string, reason: string) => Effect.Effect<boolean, StoreError>
  /**
   * Records what the attempt's agent is doing and how far its signals were read: bookkeeping,
   * not a status change (no event). False when the attempt is no longer the task's.
   */
  readonly observe: (ref: AttemptRef, agent: AgentStatus, signalsRead: number) => Effect.Effect<boolean, StoreError>
  /**
   * A move of an agent-state policy (the transition table's `policy` rows), with the agent's
   * state, as a compare-and-set on what reconcile saw; false when the task moved meanwhile.
   */
  readonly applyPolicy: (
    ref: PolicyRef,
    to: TaskStatus,
    reason: string,
    agent: AgentStatus
  ) => Effect.Effect<boolean, InvalidTransition | StoreError>
  readonly reconcile: (
    ref: ReconcileRef,
    to: "ready" | "in-review" | "failed",
    reason: string,
    error: string | null
  ) => Effect.Effect<boolean, StoreError>
} & AttemptQueries>() {}

/** What the store's callers see of SQL: one StoreError, whether SQLite failed or a row is wrong. */
const failedOn = (table: "tasks" | "events") => (error: SqlError.SqlError | ParseResult.ParseError) =>
  new StoreError({ message: `database: ${error._tag === "ParseError" ? describeRowError(table, error) : messageOf(error)}` })
const storeError = failedOn("tasks")

const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

/** The advisory lock (PostgreSQL) that serializes task creation: ids are MAX(seq) + 1. */
const CREATE_LOCK = 0x6875620001

/** The advisory lock (PostgreSQL) that serializes claims, so that the cap holds. */
const CLAIM_LOCK = 0x687562

/** How many times an optimistic move re-reads a task that changed under it. */
const CAS_ATTEMPTS = 20

export const makeTaskStore = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // Results of thousands of rows (`task list`, reap and verify read every task): TaskRow
  // compiled once, where Schema's own decoder costs about 10 µs a row (docs/PERFORMANCE.md).
  const decodeTasks = compileDecoder(TaskRow)

  /** The tasks a statement returns, decoded. */
  const tasksOf = (rows: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
    rows.pipe(Effect.flatMap(decodeTasks), Effect.mapError(storeError))
  /** The task an `UPDATE … RETURNING *` returns; none when it changed no row. */
  const changedTask = (rows: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
    Effect.map(tasksOf(rows), Arr.head)

  /** `TASK-0007` of the integer `n`: four digits at least, as many as it takes beyond. */
  const taskIdOf = (n: Statement.Fragment) =>
    sql.onDialectOrElse({
      orElse: () => sql`printf('TASK-%04d', ${n})`,
      pg: () => sql`'TASK-' || CASE WHEN ${n} < 10000 THEN lpad(${n}::text, 4, '0') ELSE ${n}::text END`
    })

  const findTask = SqlSchema.findOne({
    Request: TaskId,
    Result: TaskRow,
    execute: (id) => sql`SELECT * FROM tasks WHERE id = ${id}`
  })
  const getRow = (id: TaskId) =>
    findTask(id).pipe(
      Effect.mapError(storeError),
      Effect.flatMap(Option.match({ onNone: () => Effect.fail(TaskNotFound.of(id)), onSome: Effect.succeed }))
    )

  const findEvents = SqlSchema.findAll({
    Request: TaskId,
    Result: EventRow,
    execute: (id) => sql`SELECT * FROM events WHERE task_id = ${id} ORDER BY id`
  })

  const insertTask = (input: NewTask, after: ReadonlyArray<TaskId>) =>
    Effect.gen(function* () {
      const at = yield* now
      const row = sql`
        SELECT n, ${taskIdOf(sql`n`)}, ${input.title}, ${input.kind}, ${input.status}, ${input.priority ?? "normal"},
               ${JSON.stringify(after)}, ${input.description}, ${input.repo}, ${JSON.stringify(input.links)}, '[]',
               'human', 'created', ${at}, ${at}
        FROM (SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM tasks) AS next`
      const insert = sql`
        INSERT INTO tasks (seq, id, title, kind, status, priority, "after", description, repo, links, comments,
                           change_actor, change_reason, created_at, updated_at)
        ${row}
        RETURNING *`
      const created = yield* changedTask(sql.onDialectOrElse({
        // One statement: SQLite takes the write lock before it reads MAX(seq), so processes
        // creating tasks at once never allocate the same id.
        orElse: () => insert,
        // PostgreSQL reads MAX(seq) in the statement's snapshot: creations are serialized by a
        // transaction-scoped advisory lock, taken before the INSERT's snapshot.
        pg: () =>
          sql.withTransaction(sql`SELECT pg_advisory_xact_lock(${CREATE_LOCK})`.pipe(Effect.zipRight(insert)))
      }))
      return yield* Option.match(created, {
        onNone: () => new StoreError({ message: "database: the new task's row did not come back" }),
        onSome: Effect.succeed
      })
    })

  const seqsOf = (ids: ReadonlyArray<TaskId>) =>
    sql<{ readonly seq: number; readonly id: string }>`SELECT seq, id FROM tasks WHERE id IN ${sql.in(ids)}`.pipe(
      Effect.mapError(storeError)
    )

  /**
   * The task and its dependencies in one transaction, the task's INSERT first (so it takes the
   * write lock before anything is read): an unknown dependency rolls it all back.
   */
  const create = (input: NewTask) => {
    const after = [...new Set(input.after ?? [])]
    if (after.length === 0) return insertTask(input, after).pipe(Effect.withSpan("TaskStore.create"))
    return Effect.gen(function* () {
      const task = yield* insertTask(input, after)
      const seqs = new Map((yield* seqsOf([task.id, ...after])).map((row) => [row.id, row.seq]))
      const deps: Array<{ readonly task_seq: number; readonly dep_seq: number }> = []
      for (const id of after) {
        const dep = seqs.get(id)
        if (dep === undefined) return yield* new TaskNotFound({ taskId: id, message: `cannot wait for ${id}: no such task` })
        deps.push({ task_seq: seqs.get(task.id)!, dep_seq: dep })
      }
      yield* sql`INSERT INTO task_deps ${sql.insert(deps)}`.pipe(Effect.mapError(storeError))
      return task
    }).pipe(
      sql.withTransaction,
      Effect.catchTag("SqlError", (error) => Effect.fail(storeError(error))),
      Effect.withSpan("TaskStore.create")
    )
  }

  /** The WHERE clause of what `list` shows: these statuses, and finished tasks only if recent. */
  const listed = (filter: ListFilter) =>
    Effect.map(Clock.currentTimeMillis, (ms) => {
      const statuses = filter.statuses && filter.statuses.length > 0 ? filter.statuses : undefined
      const since = new Date(ms - (filter.recentMs ?? 7 * 24 * 3600_000)).toISOString()
      const byStatus = statuses ? sql`status IN ${sql.in(statuses)}` : sql`1 = 1`
      // Unfinished tasks and recently finished ones: each branch a search of the
      // (status, updated_at) index, where `NOT IN (…finished) OR updated_at >= ?` scans the table.
      const recent = filter.all ? sql`1 = 1` : sql`seq IN (
        SELECT seq FROM tasks WHERE status IN ${sql.in(UNFINISHED)}
        UNION ALL SELECT seq FROM tasks WHERE status IN ${sql.in(FINISHED)} AND updated_at >= ${since})`
      return sql`${byStatus} AND ${recent}`
    })

  const list = (filter: ListFilter = {}) =>
    Effect.flatMap(listed(filter), (where) => tasksOf(sql`SELECT * FROM tasks WHERE ${where} ORDER BY seq`))

  const decodeSummaries = compileDecoder(SummaryRow)
  const listSummaries = (filter: ListFilter = {}) =>
    Effect.gen(function* () {
      const where = yield* listed(filter)
      const rows = yield* sql`SELECT id, status, priority, kind, repo, title FROM tasks WHERE ${where} ORDER BY seq`.pipe(
        Effect.flatMap(decodeSummaries),
        Effect.mapError(storeError)
      )
      const unmet = yield* unmetDependencies()
      return rows.map((row): TaskSummary => ({ ...row, waiting: unmet.get(row.id) ?? [] }))
    })

  const decodeUnmet = compileDecoder(UnmetRow)
  const unmetDependencies = (id?: TaskId) =>
    sql`
      SELECT t.id AS task_id, p.id AS id, p.status AS status
      FROM tasks t JOIN task_deps d ON d.task_seq = t.seq JOIN tasks p ON p.seq = d.dep_seq
      WHERE t.status IN ${sql.in(NOT_STARTED)} AND p.status <> ${DEPENDENCY_MET}
        AND ${id === undefined ? sql`1 = 1` : sql`t.id = ${id}`}
      ORDER BY t.seq, d.dep_seq`.pipe(
      Effect.flatMap(decodeUnmet),
      Effect.mapError(storeError),
      Effect.map((rows) => {
        const byTask = new Map<TaskId, Array<Dependency>>()
        for (const row of rows) {
          const deps = byTask.get(row.task_id) ?? []
          deps.push({ id: row.id, status: row.status })
          byTask.set(row.task_id, deps)
        }
        return byTask as ReadonlyMap<TaskId, ReadonlyArray<Dependency>>
      })
    )

  const edit = (id: TaskId, patch: TaskEdit) =>
    Effect.gen(function* () {
      for (let i = 0; i < CAS_ATTEMPTS; i++) {
        const at = yield* now
        const edited = yield* changedTask(sql`
          UPDATE tasks SET title = COALESCE(${patch.title ?? null}, title),
                 description = COALESCE(${patch.description ?? null}, description),
                 priority = COALESCE(${patch.priority ?? null}, priority), updated_at = ${at}
          WHERE id = ${id} AND status IN ${sql.in(NOT_STARTED)}
          RETURNING *`)
        if (Option.isSome(edited)) return edited.value
        const task = yield* getRow(id)
        // It went back to backlog or ready between the two statements: try again.
        if (NOT_STARTED.includes(task.status)) continue
        return yield* new NotEditable({
          taskId: id,
          status: task.status,
          message: `${id} is ${task.status}: only a task not yet started (${NOT_STARTED.join(" or ")}) can be edited`
        })
      }
      return yield* new StoreError({ message: `${id} kept changing; try again` })
    }).pipe(Effect.withSpan("TaskStore.edit"))

  const events = (id: TaskId) =>
    getRow(id).pipe(Effect.zipRight(findEvents(id).pipe(Effect.mapError(failedOn("events")))))

  const move = (id: TaskId, move: Move, to: TaskStatus, change: Change, expect: MoveExpectation = {}) =>
    Effect.gen(function* () {
      for (let i = 0; i < CAS_ATTEMPTS; i++) {
        const before = yield* getRow(id)
        if (expect.attempt !== undefined && before.attempt !== expect.attempt) {
          return yield* new InvalidTransition({
            taskId: id,
            from: before.status,
            to,
            message: `${id}: attempt ${expect.attempt} is no longer current (now attempt ${before.attempt}, ${before.status}); nothing was done`
          })
        }
        if (expect.rev !== undefined && before.rev !== expect.rev) {
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
        const after = yield* changedTask(sql`
          UPDATE tasks SET status = ${to}, rev = rev + 1, change_actor = ${change.actor},
                 change_reason = ${change.reason}, updated_at = ${at},
                 error = CASE WHEN ${to} = 'ready' THEN NULL ELSE error END,
                 lease_pid = NULL, lease_start = NULL
          WHERE id = ${id} AND rev = ${before.rev}
          RETURNING *`)
        if (Option.isSome(after)) return { before, after: after.value }
      }
      return yield* new StoreError({ message: `${id} kept changing; try again` })
    }).pipe(Effect.withSpan("TaskStore.move"))

  /** The task after an append; when the append changed nothing (a known link), as it is. */
  const appended = (id: TaskId, rows: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
    Effect.flatMap(changedTask(rows), Option.match({ onNone: () => getRow(id), onSome: Effect.succeed }))

  // The JSON columns are text in both stores; SQLite appends with its json functions,
  // PostgreSQL through jsonb (which may reorder a comment's keys: the JSON means the same).
  const comment = (id: TaskId, author: Author, text: string) =>
    Effect.flatMap(now, (at) => {
      const entry = JSON.stringify({ author, text, at })
      const appendedComments = sql.onDialectOrElse({
        orElse: () => sql`json_insert(comments, '$[#]', json(${entry}))`,
        pg: () => sql`(comments::jsonb || jsonb_build_array(${entry}::jsonb))::text`
      })
      return appended(id, sql`UPDATE tasks SET comments = ${appendedComments}, updated_at = ${at} WHERE id = ${id} RETURNING *`)
    })

  const link = (id: TaskId, url: string) =>
    Effect.flatMap(now, (at) => {
      const [appendedLinks, known] = sql.onDialectOrElse({
        orElse: () => [
          sql`json_insert(links, '$[#]', json(${JSON.stringify(url)}))`,
          sql`EXISTS (SELECT 1 FROM json_each(links) WHERE value = ${url})`
        ],
        pg: () => [
          sql`(links::jsonb || jsonb_build_array(${url}::text))::text`,
          sql`links::jsonb @> jsonb_build_array(${url}::text)`
        ]
      })
      return appended(id, sql`UPDATE tasks SET links = ${appendedLinks}, updated_at = ${at}
                              WHERE id = ${id} AND NOT ${known} RETURNING *`)
    })

  const inProgress = tasksOf(sql`SELECT * FROM tasks WHERE status IN ${sql.in(RECONCILE_FROM)} ORDER BY seq`)
  const inProgressOn = (host: string) =>
    tasksOf(sql`SELECT * FROM tasks WHERE host = ${host} AND status IN ${sql.in(RECONCILE_FROM)} ORDER BY seq`)

  /**
   * The claim's pick: the first ready task in claim order (highest priority, then oldest) with
   * no dependency that is not done. One search of tasks_claim_order, walked in that order, and
   * per task looked at one probe of task_deps' primary key (none: no dependencies) and one
   * rowid lookup per dependency; see docs/ARCHITECTURE.md, "The claim".
   */
  const nextClaimable = sql`
    SELECT t.seq FROM tasks t
    WHERE t.status IN ${sql.in(CLAIMABLE)}
      AND NOT EXISTS (SELECT 1 FROM task_deps d JOIN tasks p ON p.seq = d.dep_seq
                      WHERE d.task_seq = t.seq AND p.status <> ${DEPENDENCY_MET})
    ORDER BY t.priority_rank, t.seq LIMIT 1`

  const claimNext = (cap: number, lease: Lease, host: string) =>
    Effect.gen(function* () {
      const at = yield* now
      const claim = () => sql`
        UPDATE tasks SET status = ${CLAIMED}, attempt = attempt + 1, rev = rev + 1,
               host = ${host}, claimed_at = ${at},
               lease_pid = ${lease.pid}, lease_start = ${lease.start}, error = NULL,
               window_id = NULL, pane_pid = NULL, session_id = NULL, tmux_socket = NULL,
               tmux_session = NULL, workspace_fresh = 0, started_at = NULL,
               agent_state = NULL, agent_state_at = NULL, agent_state_reason = NULL,
               agent_active_at = NULL, agent_signals_read = 0,
               change_actor = 'dispatcher', change_reason = 'claimed', updated_at = ${at}
        WHERE seq = (${nextClaimable})
          AND (SELECT count(*) FROM tasks WHERE host = ${host} AND status = ${CLAIMED}) < ${cap}
        RETURNING *`
      return yield* changedTask(sql.onDialectOrElse({
        // The cap check and the claim are one statement, so one write lock covers both. The cap
        // is per host: only this host's in-progress tasks count.
        orElse: claim,
        // Claims skip the rows other writers hold (SKIP LOCKED) and are serialized among one
        // host's claims by an advisory lock on the host's name, held to the commit and taken
        // before the UPDATE's snapshot: each claim counts the host's in-progress tasks after the
        // claims before it committed, so concurrent claims cannot exceed the host's cap. Two
        // hosts' claims do not wait for each other (beyond a row one of them holds). One round
        // trip: the lock and the same UPDATE (with FOR UPDATE SKIP LOCKED) inside hub_claim
        // (migrations.pg.ts, 0006), in the statement's own transaction.
        pg: () =>
          sql`SELECT * FROM hub_claim(${cap}, ${host}, ${lease.pid}, ${lease.start}, ${at},
                                      ${`{${CLAIMABLE.join(",")}}`}::text[], ${CLAIMED}, ${CLAIM_LOCK}, ${DEPENDENCY_MET})`
      }))
    }).pipe(Effect.withSpan("TaskStore.claimNext"))

  const setWorkspace = (ref: AttemptRef, dir: string, fresh: boolean) =>
    sql`UPDATE tasks SET workspace = ${dir}, workspace_fresh = ${fresh ? 1 : 0}
        WHERE id = ${ref.id} AND attempt = ${ref.attempt}`.pipe(Effect.asVoid, Effect.mapError(storeError))

  const rollback = (ref: AttemptRef, to: "ready" | "failed", reason: string, error: string | null) =>
    Effect.gen(function* () {
      const at = yield* now
      const rows = yield* sql`
        UPDATE tasks SET status = ${to}, rev = rev + 1, error = ${error}, lease_pid = NULL,
               lease_start = NULL, change_actor = 'dispatcher', change_reason = ${reason}, updated_at = ${at}
        WHERE id = ${ref.id} AND attempt = ${ref.attempt} AND status IN ${sql.in(ROLLBACK_FROM)} AND started_at IS NULL
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
               agent_state = COALESCE(agent_state, 'starting'), agent_state_at = COALESCE(agent_state_at, ${at}),
               agent_state_reason = COALESCE(agent_state_reason, 'window opened'),
               agent_active_at = COALESCE(agent_active_at, ${at}),
               rev = rev + 1, change_actor = 'agent', change_reason = ${reason}, updated_at = ${at}
        WHERE id = ${ref.id} AND attempt = ${ref.attempt} AND status = ${CLAIMED} AND started_at IS NULL
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
               agent_state = COALESCE(agent_state, 'starting'), agent_state_at = COALESCE(agent_state_at, ${at}),
               agent_state_reason = COALESCE(agent_state_reason, 'window opened'),
               agent_active_at = COALESCE(agent_active_at, ${at}),
               -- An agent that already recorded its start: one "agent started" per attempt.
               rev = CASE WHEN started_at IS NULL THEN rev + 1 ELSE rev END,
               change_actor = CASE WHEN started_at IS NULL THEN 'dispatcher' ELSE change_actor END,
               change_reason = CASE WHEN started_at IS NULL THEN 'agent started' ELSE change_reason END,
               updated_at = CASE WHEN started_at IS NULL THEN ${at} ELSE updated_at END
        WHERE id = ${ref.id} AND attempt = ${ref.attempt} AND status IN ${sql.in(COMMITTABLE)}
        RETURNING id`
      return rows.length > 0
    }).pipe(Effect.mapError(storeError), Effect.withSpan("TaskStore.commitDispatch"))

  const reconcile = (ref: ReconcileRef, to: "ready" | "in-review" | "failed", reason: string, error: string | null) =>
    Effect.gen(function* () {
      const at = yield* now
      const rows = yield* sql`
        UPDATE tasks SET status = ${to}, rev = rev + 1, error = ${error}, lease_pid = NULL,
               lease_start = NULL, change_actor = 'reconciler', change_reason = ${reason}, updated_at = ${at}
        WHERE id = ${ref.id} AND attempt = ${ref.attempt} AND status IN ${sql.in(RECONCILE_FROM)}
          AND window_id IS NOT DISTINCT FROM ${ref.windowId} AND (${ref.unstarted ? 1 : 0} = 0 OR started_at IS NULL)
        RETURNING id`
      return rows.length > 0
    }).pipe(Effect.mapError(storeError), Effect.withSpan("TaskStore.reconcile"))

  const withAgentsOn = (host: string) =>
    tasksOf(sql`SELECT * FROM tasks WHERE host = ${host} AND status IN ${sql.in(AGENT_OWNING)} ORDER BY seq`)

  const adoptUnhosted = (host: string) =>
    sql`UPDATE tasks SET host = ${host} WHERE host IS NULL AND status IN ${sql.in(AGENT_OWNING)} RETURNING id`.pipe(
      Effect.map((rows) => rows.length),
      Effect.mapError(storeError)
    )

  const renewHost = (host: string) =>
    Effect.flatMap(now, (at) =>
      sql`INSERT INTO hosts (name, renewed_at) VALUES (${host}, ${at})
          ON CONFLICT (name) DO UPDATE SET renewed_at = excluded.renewed_at`).pipe(
      Effect.asVoid,
      Effect.mapError(storeError),
      Effect.withSpan("TaskStore.renewHost")
    )

  const hostLeases = SqlSchema.findAll({
    Request: Schema.Void,
    Result: HostLeaseRow,
    execute: () => sql`SELECT name, renewed_at FROM hosts ORDER BY name`
  })(undefined).pipe(Effect.mapError(storeError))

  const findElsewhere = SqlSchema.findAll({
    Request: Schema.String,
    Result: HostedAttemptRow,
    execute: (host) => sql`
      SELECT t.id, t.attempt, t.host, t.claimed_at, h.renewed_at
      FROM tasks t LEFT JOIN hosts h ON h.name = t.host
      WHERE t.status = ${CLAIMED} AND t.host IS NOT NULL AND t.host <> ${host}
      ORDER BY t.seq`
  })
  const inProgressElsewhere = (host: string) => findElsewhere(host).pipe(Effect.mapError(storeError))

  const reclaim = (ref: AttemptRef & { readonly host: string }, cutoff: string, reason: string) =>
    Effect.gen(function* () {
      const at = yield* now
      // The rule of hostLease.ts, checked again in the write: a host that renewed its lease
      // (or claimed this attempt) since the cutoff keeps its task.
      const rows = yield* sql`
        UPDATE tasks SET status = ${RECLAIM_TO}, rev = rev + 1, error = NULL, lease_pid = NULL,
               lease_start = NULL, change_actor = 'reconciler', change_reason = ${reason}, updated_at = ${at}
        WHERE id = ${ref.id} AND attempt = ${ref.attempt} AND host = ${ref.host} AND status = ${CLAIMED}
          AND (claimed_at IS NULL OR claimed_at < ${cutoff})
          AND NOT EXISTS (SELECT 1 FROM hosts WHERE name = ${ref.host} AND renewed_at >= ${cutoff})
        RETURNING id`
      return rows.length > 0
    }).pipe(Effect.mapError(storeError), Effect.withSpan("TaskStore.reclaim"))

  const observe = (ref: AttemptRef, agent: AgentStatus, signalsRead: number) =>
    Effect.gen(function* () {
      const rows = yield* sql`
        UPDATE tasks SET agent_state = ${agent.state}, agent_state_at = ${agent.since},
               agent_state_reason = ${agent.reason}, agent_active_at = ${agent.activeAt},
               agent_signals_read = ${signalsRead}
        WHERE id = ${ref.id} AND attempt = ${ref.attempt} AND status IN ${sql.in(AGENT_OWNING)}
        RETURNING id`
      return rows.length > 0
    }).pipe(Effect.mapError(storeError), Effect.withSpan("TaskStore.observe"))

  const applyPolicy = (ref: PolicyRef, to: TaskStatus, reason: string, agent: AgentStatus) =>
    Effect.gen(function* () {
      const checked = checkTransition(ref.id, ref.from, "policy", to)
      if (Either.isLeft(checked)) return yield* checked.left
      const at = yield* now
      const rows = yield* sql`
        UPDATE tasks SET status = ${to}, rev = rev + 1, change_actor = 'reconciler', change_reason = ${reason},
               updated_at = ${at}, agent_state = ${agent.state}, agent_state_at = ${agent.since},
               agent_state_reason = ${agent.reason}, agent_active_at = ${agent.activeAt}
        WHERE id = ${ref.id} AND attempt = ${ref.attempt} AND status = ${ref.from} AND window_id IS NOT DISTINCT FROM ${ref.windowId}
          AND rev = ${ref.rev}
        RETURNING id`.pipe(Effect.mapError(storeError))
      return rows.length > 0
    }).pipe(Effect.withSpan("TaskStore.applyPolicy"))

  const attempts = yield* makeAttemptQueries

  return TaskStore.of({
    ...attempts,
    withAgentsOn,
    adoptUnhosted,
    renewHost,
    hostLeases,
    inProgressElsewhere,
    reclaim,
    inProgressOn,
    observe,
    applyPolicy,
    create,
    get: getRow,
    list,
    listSummaries,
    unmetDependencies,
    edit,
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

/** The store on `$HUB_HOME/hub.db` only (the CLI's fast path, which declines PostgreSQL). */
export const SqliteTaskStoreLive = TaskStoreFromSql.pipe(Layer.provide(SqlLive))

