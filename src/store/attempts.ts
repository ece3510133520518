import { SqlClient, type SqlError, SqlSchema } from "@effect/sql"
import { type Cause, Effect, Option, type ParseResult, Schema } from "effect"
import { StoreError } from "../domain/errors.js"
import { TaskStatus } from "../domain/Task.js"
import { TaskId } from "../domain/TaskId.js"
import { addUsage, isNoUsage, maxUsage, type ModelCall, NO_USAGE, subtractUsage, Usage } from "../domain/Usage.js"
import { messageOf } from "../shared/messages.js"

/**
 * The store's side of issue 13, over the same SqlClient as TaskStore (which spreads these into
 * its service): per-attempt agent sessions and token usage (migration 5's `attempts` and
 * `usage_messages`), and the notifier's claim on the history.
 */

/**
 * An attempt whose agent's transcript reconcile still follows, with its task as it is now. A
 * task's newest attempt comes first: a resumed conversation writes on in its predecessor's
 * transcript, and what the new agent writes is the new attempt's.
 */
export const OpenAttempt = Schema.Struct({
  task_id: TaskId,
  attempt: Schema.Number,
  agent_session_id: Schema.NullOr(Schema.String),
  transcript_path: Schema.NullOr(Schema.String),
  transcript_read: Schema.Number,
  signals_read: Schema.Number,
  status: TaskStatus,
  current_attempt: Schema.Number,
  window_id: Schema.NullOr(Schema.String),
  tmux_socket: Schema.NullOr(Schema.String),
  tmux_session: Schema.NullOr(Schema.String),
  started_at: Schema.NullOr(Schema.String)
})
export type OpenAttempt = typeof OpenAttempt.Type

/** What one attempt's agent used, and the conversation it had. */
export const AttemptUsage = Schema.Struct({
  attempt: Schema.Number,
  agent_session_id: Schema.NullOr(Schema.String),
  resumed_from: Schema.NullOr(Schema.Number),
  ...Usage.fields
})
export type AttemptUsage = typeof AttemptUsage.Type

/** A conversation a later attempt may continue. */
export interface Resumable {
  readonly attempt: number
  readonly sessionId: string
  readonly transcriptPath: string | null
}

/** A status change worth telling a person about, with its task's title. */
export const NotifiableEvent = Schema.Struct({
  id: Schema.Number,
  task_id: TaskId,
  to_status: TaskStatus,
  reason: Schema.String,
  at: Schema.String,
  title: Schema.String
})
export type NotifiableEvent = typeof NotifiableEvent.Type

const storeError = (error: SqlError.SqlError | ParseResult.ParseError | Cause.NoSuchElementException) =>
  new StoreError({ message: `database: ${messageOf(error)}` })

/** One attempt at a task (TaskStore.AttemptRef has the same shape). */
export interface AttemptKey {
  readonly id: TaskId
  readonly attempt: number
}

export const makeAttemptQueries = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const findOpen = SqlSchema.findAll({
    Request: Schema.String,
    Result: OpenAttempt,
    execute: (host) => sql`
      SELECT a.task_id, a.attempt, a.agent_session_id, a.transcript_path, a.transcript_read, a.signals_read,
             t.status, t.attempt AS current_attempt, t.window_id, t.tmux_socket, t.tmux_session, t.started_at
      FROM attempts a JOIN tasks t ON t.id = a.task_id
      WHERE a.usage_open = 1 AND (t.host = ${host} OR t.host IS NULL)
      ORDER BY t.seq, a.attempt DESC`
  })
  /**
   * The open attempts of the tasks whose current attempt is this host's (an agent's files and
   * window are on the machine it runs on); a task that no claim gave a host yet counts as ours.
   */
  const openAttempts = (host: string) => findOpen(host).pipe(Effect.mapError(storeError))

  /**
   * What the attempt's hooks said of its agent's own session (id and transcript), read up to
   * `signalsRead`: a compare-and-set on how far they were read before. A new transcript (a
   * `/clear` starts one) is read from its start.
   */
  const recordAgentSession = (
    ref: AttemptKey,
    seen: { readonly sessionId: string | null; readonly transcriptPath: string | null },
    read: { readonly from: number; readonly to: number }
  ) =>
    sql`
      UPDATE attempts SET
        agent_session_id = COALESCE(${seen.sessionId}, agent_session_id),
        transcript_read = CASE WHEN ${seen.transcriptPath} IS NOT NULL AND transcript_path IS NOT NULL
                                    AND transcript_path <> ${seen.transcriptPath} THEN 0 ELSE transcript_read END,
        transcript_path = COALESCE(${seen.transcriptPath}, transcript_path),
        signals_read = ${read.to}
      WHERE task_id = ${ref.id} AND attempt = ${ref.attempt} AND signals_read = ${read.from}
      RETURNING task_id`.pipe(Effect.map((rows) => rows.length > 0), Effect.mapError(storeError))

  const findCall = SqlSchema.findOne({
    Request: Schema.Struct({ taskId: Schema.String, messageId: Schema.String }),
    Result: Usage,
    execute: ({ messageId, taskId }) => sql`
      SELECT input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens
      FROM usage_messages WHERE task_id = ${taskId} AND message_id = ${messageId}`
  })
  const taskTotal = SqlSchema.single({
    Request: Schema.String,
    Result: Schema.Struct({
      input_tokens: Schema.NullOr(Schema.Number),
      output_tokens: Schema.NullOr(Schema.Number),
      cache_read_input_tokens: Schema.NullOr(Schema.Number),
      cache_creation_input_tokens: Schema.NullOr(Schema.Number)
    }),
    execute: (taskId) => sql`
      SELECT SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
             SUM(cache_read_input_tokens) AS cache_read_input_tokens,
             SUM(cache_creation_input_tokens) AS cache_creation_input_tokens
      FROM attempts WHERE task_id = ${taskId}`
  })

  /**
   * Counts the model calls read from the attempt's transcript between bytes `from` and `to`,
   * each message id once per task (its largest counts win: a streamed message's later lines
   * carry its final counts, which only grow), and moves the attempt's read offset: all or nothing, and only if
   * nobody read that stretch meanwhile (false then: nothing is counted twice).
   */
  const countUsage = (ref: AttemptKey, read: { readonly from: number; readonly to: number }, calls: ReadonlyArray<ModelCall>) =>
    sql.withTransaction(Effect.gen(function* () {
      // The write comes first, so the transaction holds SQLite's write lock before it reads.
      const moved = yield* sql`
        UPDATE attempts SET transcript_read = ${read.to}
        WHERE task_id = ${ref.id} AND attempt = ${ref.attempt} AND transcript_read = ${read.from}
        RETURNING task_id`
      if (moved.length === 0) return false
      let delta = NO_USAGE
      for (const call of calls) {
        const counted = yield* findCall({ taskId: ref.id, messageId: call.id })
        const u = call.usage
        if (Option.isNone(counted)) {
          yield* sql`
            INSERT INTO usage_messages (task_id, message_id, attempt, input_tokens, output_tokens,
                                        cache_read_input_tokens, cache_creation_input_tokens)
            VALUES (${ref.id}, ${call.id}, ${ref.attempt}, ${u.input_tokens}, ${u.output_tokens},
                    ${u.cache_read_input_tokens}, ${u.cache_creation_input_tokens})`
          delta = addUsage(delta, u)
          continue
        }
        // Never less than counted: a copy of the call (a resumed transcript) changes nothing.
        const latest = maxUsage(counted.value, u)
        const change = subtractUsage(latest, counted.value)
        if (isNoUsage(change)) continue
        yield* sql`
          UPDATE usage_messages SET input_tokens = ${latest.input_tokens}, output_tokens = ${latest.output_tokens},
                 cache_read_input_tokens = ${latest.cache_read_input_tokens},
                 cache_creation_input_tokens = ${latest.cache_creation_input_tokens}
          WHERE task_id = ${ref.id} AND message_id = ${call.id}`
        delta = addUsage(delta, change)
      }
      if (isNoUsage(delta)) return true
      yield* sql`
        UPDATE attempts SET input_tokens = input_tokens + ${delta.input_tokens},
               output_tokens = output_tokens + ${delta.output_tokens},
               cache_read_input_tokens = cache_read_input_tokens + ${delta.cache_read_input_tokens},
               cache_creation_input_tokens = cache_creation_input_tokens + ${delta.cache_creation_input_tokens}
        WHERE task_id = ${ref.id} AND attempt = ${ref.attempt}`
      const sums = yield* taskTotal(ref.id)
      const total: Usage = {
        input_tokens: sums.input_tokens ?? 0,
        output_tokens: sums.output_tokens ?? 0,
        cache_read_input_tokens: sums.cache_read_input_tokens ?? 0,
        cache_creation_input_tokens: sums.cache_creation_input_tokens ?? 0
      }
      // Bookkeeping, like the agent's state: no revision, no event, updated_at unchanged.
      yield* sql`UPDATE tasks SET usage = ${JSON.stringify(total)} WHERE id = ${ref.id}`
      return true
    })).pipe(Effect.mapError(storeError), Effect.withSpan("TaskStore.countUsage"))

  /** Reconcile stops following the attempt: its agent is gone and its transcript read to the end. */
  const closeAttempt = (ref: AttemptKey) =>
    sql`UPDATE attempts SET usage_open = 0 WHERE task_id = ${ref.id} AND attempt = ${ref.attempt}`.pipe(
      Effect.asVoid,
      Effect.mapError(storeError)
    )

  const attemptUsage = (id: TaskId) =>
    SqlSchema.findAll({
      Request: TaskId,
      Result: AttemptUsage,
      execute: (taskId) => sql`
        SELECT attempt, agent_session_id, resumed_from, input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens
        FROM attempts WHERE task_id = ${taskId} ORDER BY attempt`
    })(id).pipe(Effect.mapError(storeError))

  const findResumable = SqlSchema.findOne({
    Request: Schema.Struct({ taskId: TaskId, before: Schema.Number }),
    Result: Schema.Struct({ attempt: Schema.Number, agent_session_id: Schema.String, transcript_path: Schema.NullOr(Schema.String) }),
    execute: ({ before, taskId }) => sql`
      SELECT attempt, agent_session_id, transcript_path FROM attempts
      WHERE task_id = ${taskId} AND attempt < ${before} AND resumable = 1 AND agent_session_id IS NOT NULL
      ORDER BY attempt DESC LIMIT 1`
  })
  /** The latest conversation of an attempt before `before` that a new attempt may continue. */
  const resumable = (id: TaskId, before: number) =>
    findResumable({ taskId: id, before }).pipe(
      Effect.map(Option.map((row): Resumable => ({
        attempt: row.attempt,
        sessionId: row.agent_session_id,
        transcriptPath: row.transcript_path
      }))),
      Effect.mapError(storeError)
    )

  /** The attempt continues `from`'s conversation (recorded once its start is: the row exists then). */
  const recordResume = (ref: AttemptKey, from: number) =>
    sql`UPDATE attempts SET resumed_from = ${from} WHERE task_id = ${ref.id} AND attempt = ${ref.attempt}`.pipe(
      Effect.asVoid,
      Effect.mapError(storeError)
    )

  /** `hub task retry --fresh`: no later attempt continues any of the task's conversations. */
  const forgetConversations = (id: TaskId) =>
    sql`UPDATE attempts SET resumable = 0 WHERE task_id = ${id}`.pipe(Effect.asVoid, Effect.mapError(storeError))

  const findNotifiable = SqlSchema.findAll({
    Request: Schema.Struct({ after: Schema.Number, upTo: Schema.Number, statuses: Schema.Array(Schema.String) }),
    Result: NotifiableEvent,
    execute: ({ after, statuses, upTo }) => sql`
      SELECT e.id, e.task_id, e.to_status, e.reason, e.at, t.title
      FROM events e JOIN tasks t ON t.id = e.task_id
      WHERE e.id > ${after} AND e.id <= ${upTo} AND e.to_status IN ${sql.in(statuses)}
      ORDER BY e.id`
  })
  const ClaimedRange = Schema.Struct({ prev_event: Schema.Number, last_event: Schema.Number })
  /**
   * Takes every event written since the last claim, in one statement (so two notifying
   * processes never take the same one), and returns those that move a task to `statuses`.
   * With nothing new it writes nothing (a daemon's idle ticks cost one read).
   */
  const claimNotifications = (statuses: ReadonlyArray<TaskStatus>) =>
    Effect.gen(function* () {
      const rows = yield* sql`
        UPDATE notify_cursor SET prev_event = last_event,
               last_event = (SELECT COALESCE(MAX(id), 0) FROM events)
        WHERE id = 1 AND last_event < (SELECT COALESCE(MAX(id), 0) FROM events)
        RETURNING prev_event, last_event`
      const range = yield* Schema.decodeUnknown(Schema.Array(ClaimedRange))(rows)
      const claimed = range[0]
      if (claimed === undefined || claimed.last_event <= claimed.prev_event) return []
      return yield* findNotifiable({ after: claimed.prev_event, upTo: claimed.last_event, statuses })
    }).pipe(Effect.mapError(storeError), Effect.withSpan("TaskStore.claimNotifications"))

  return {
    openAttempts,
    recordAgentSession,
    countUsage,
    closeAttempt,
    attemptUsage,
    resumable,
    recordResume,
    forgetConversations,
    claimNotifications
  }
})

export type AttemptQueries = Effect.Effect.Success<typeof makeAttemptQueries>
