import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Migrations live in code (Migrator.fromRecord) so the bundled bin needs no folder on disk.
 * Event rows are written by triggers: a status change and its history row are one statement,
 * so no code path can forget the event, and the history tables refuse updates and deletes.
 * The tasks table and 0003's columns are plain SQL that PostgreSQL reads alike: migrations.pg.ts
 * runs the same text.
 */

/** The tasks table of 0001. */
export const TASKS_TABLE = `
  CREATE TABLE tasks (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL CHECK (length(trim(title)) > 0),
    kind TEXT NOT NULL CHECK (kind IN ('implement', 'review', 'debug')),
    status TEXT NOT NULL CHECK (status IN ('backlog', 'ready', 'in-progress', 'blocked', 'in-review', 'done', 'failed', 'cancelled')),
    description TEXT NOT NULL DEFAULT '',
    repo TEXT,
    links TEXT NOT NULL DEFAULT '[]',
    comments TEXT NOT NULL DEFAULT '[]',
    attempt INTEGER NOT NULL DEFAULT 0,
    session_id TEXT,
    error TEXT,
    window_id TEXT,
    pane_pid INTEGER,
    tmux_socket TEXT,
    tmux_session TEXT,
    workspace TEXT,
    workspace_fresh INTEGER NOT NULL DEFAULT 0,
    lease_pid INTEGER,
    lease_start TEXT,
    started_at TEXT,
    rev INTEGER NOT NULL DEFAULT 0,
    change_actor TEXT NOT NULL,
    change_reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  )`

/** The columns 0003 adds, the same in both stores. */
export const AGENT_STATE_COLUMNS = [
  `ALTER TABLE tasks ADD COLUMN agent_state TEXT
    CHECK (agent_state IS NULL OR agent_state IN ('starting', 'busy', 'idle', 'waiting', 'stalled', 'ended'))`,
  `ALTER TABLE tasks ADD COLUMN agent_state_at TEXT`,
  `ALTER TABLE tasks ADD COLUMN agent_state_reason TEXT`,
  `ALTER TABLE tasks ADD COLUMN agent_active_at TEXT`,
  `ALTER TABLE tasks ADD COLUMN agent_signals_read INTEGER NOT NULL DEFAULT 0`
] as const

const init = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(TASKS_TABLE)
  yield* sql`CREATE INDEX tasks_status_seq ON tasks (status, seq)`
  yield* sql`CREATE INDEX tasks_updated ON tasks (updated_at)`
  yield* sql`
    CREATE TABLE events (
      id INTEGER PRIMARY KEY,
      task_id TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      from_status TEXT,
      to_status TEXT NOT NULL,
      actor TEXT NOT NULL CHECK (actor IN ('human', 'agent', 'dispatcher', 'reconciler')),
      reason TEXT NOT NULL,
      at TEXT NOT NULL
    )`
  yield* sql`CREATE INDEX events_task ON events (task_id, id)`
  yield* sql`
    CREATE TRIGGER tasks_created AFTER INSERT ON tasks BEGIN
      INSERT INTO events (task_id, attempt, from_status, to_status, actor, reason, at)
      VALUES (NEW.id, NEW.attempt, NULL, NEW.status, NEW.change_actor, NEW.change_reason, NEW.created_at);
    END`
  yield* sql`
    CREATE TRIGGER tasks_changed AFTER UPDATE OF rev ON tasks WHEN NEW.rev <> OLD.rev BEGIN
      INSERT INTO events (task_id, attempt, from_status, to_status, actor, reason, at)
      VALUES (NEW.id, NEW.attempt, OLD.status, NEW.status, NEW.change_actor, NEW.change_reason, NEW.updated_at);
    END`
  yield* sql`
    CREATE TRIGGER tasks_status_needs_event BEFORE UPDATE OF status ON tasks
    WHEN NEW.status <> OLD.status AND NEW.rev = OLD.rev BEGIN
      SELECT RAISE(ABORT, 'a status change must bump rev so that it is recorded');
    END`
  yield* sql`
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN
      SELECT RAISE(ABORT, 'history is append-only');
    END`
  yield* sql`
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN
      SELECT RAISE(ABORT, 'history is append-only');
    END`
  // The start-up fast path reads this instead of the migrations table.
  yield* sql`PRAGMA user_version = 1`
})

/**
 * `task list` shows unfinished tasks and the finished ones changed in the last days: one search
 * of (status, updated_at) per branch instead of a scan of every row. It takes the place of the
 * index on updated_at alone, which no query used.
 */
const listIndex = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE INDEX tasks_status_updated ON tasks (status, updated_at)`
  yield* sql`DROP INDEX tasks_updated`
  yield* sql`PRAGMA user_version = 2`
})

/**
 * What the current attempt's agent is doing (issue 10): its state, since when and why, when it
 * last showed life, and how far reconcile has read its run folder's signals. Not status
 * changes: no event is written for them.
 */
const agentState = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  for (const statement of AGENT_STATE_COLUMNS) yield* sql.unsafe(statement)
  yield* sql`PRAGMA user_version = 3`
})

/**
 * Order among tasks (issue 13): a priority and dependencies.
 * - `priority` as the task JSON says it, and `priority_rank` (0 high, 1 normal, 2 low) computed
 *   from it by SQLite itself, so the two can never disagree; the claim's index orders by it.
 * - `task_deps` holds who waits for whom, by seq, indexed both ways: the claim's NOT EXISTS asks
 *   "any dependency of this task not done?" through the primary key; the reverse index is the
 *   foreign key's (and "who waits for this task?"). A plain table, no JSON functions: it ports
 *   to PostgreSQL as it is.
 * - `after` is the same list as the task JSON shows it (ids, as JSON text like `links`), written
 *   with the rows of task_deps in the create's transaction. Dependencies are fixed once a task
 *   exists: triggers refuse changing either, so the copy cannot drift from the table.
 */
const workflowOrder = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE tasks ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal'
    CHECK (priority IN ('high', 'normal', 'low'))`
  yield* sql`ALTER TABLE tasks ADD COLUMN priority_rank INTEGER
    GENERATED ALWAYS AS (CASE priority WHEN 'high' THEN 0 WHEN 'low' THEN 2 ELSE 1 END) VIRTUAL`
  yield* sql`ALTER TABLE tasks ADD COLUMN "after" TEXT NOT NULL DEFAULT '[]'`
  // The claim: ready tasks in the order it takes them, the first one without a dependency
  // that is not done.
  yield* sql`CREATE INDEX tasks_claim_order ON tasks (status, priority_rank, seq)`
  yield* sql`
    CREATE TABLE task_deps (
      task_seq INTEGER NOT NULL REFERENCES tasks (seq),
      dep_seq INTEGER NOT NULL REFERENCES tasks (seq),
      PRIMARY KEY (task_seq, dep_seq),
      CHECK (task_seq <> dep_seq)
    ) WITHOUT ROWID`
  yield* sql`CREATE INDEX task_deps_dependents ON task_deps (dep_seq, task_seq)`
  for (const [name, when] of [
    ["task_deps_no_update", "UPDATE ON task_deps"],
    ["task_deps_no_delete", "DELETE ON task_deps"],
    ["tasks_after_fixed", `UPDATE OF "after" ON tasks WHEN NEW."after" <> OLD."after"`]
  ] as const) {
    yield* sql.unsafe(`CREATE TRIGGER ${name} BEFORE ${when} BEGIN
      SELECT RAISE(ABORT, 'dependencies are fixed when a task is created');
    END`)
  }
  yield* sql`PRAGMA user_version = 4`
})

/**
 * Workflow agents (issue 13): what each attempt's agent used and how to continue its
 * conversation, and how far the notifier has read the history. Plain SQL on purpose (the
 * PostgreSQL port mirrors it): no JSON functions, no INSERT OR IGNORE.
 * - `attempts`, one row per started attempt (the trigger adds it when a start is recorded):
 *   the agent's own session id and transcript (from its hooks), how far the transcript and the
 *   signals were read, whether reconcile still follows it (`usage_open`), whether a later
 *   attempt may resume its conversation (`resumable`), the attempt whose conversation it
 *   continued (`resumed_from`), and its tokens.
 * - `usage_messages`: each model call counted, once per task (a resumed session's transcript
 *   may repeat earlier calls; one call streams over several lines), with the usage counted.
 * - `tasks.usage`: the task's total over its attempts, as JSON text, written with the rest.
 * - `notify_cursor`: the last event whose notification was sent (one row), starting at the
 *   events that exist now, so that setting HUB_NOTIFY_COMMAND replays no history.
 */
/** 0005's statements that PostgreSQL runs as they are (migrations.pg.ts); the trigger differs. */
export const AGENTS_TABLES = {
  attempts: `
    CREATE TABLE attempts (
      task_id TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      agent_session_id TEXT,
      transcript_path TEXT,
      transcript_read INTEGER NOT NULL DEFAULT 0,
      signals_read INTEGER NOT NULL DEFAULT 0,
      usage_open INTEGER NOT NULL DEFAULT 1,
      resumable INTEGER NOT NULL DEFAULT 1,
      resumed_from INTEGER,
      input_tokens INTEGER NOT NULL DEFAULT 0,
      output_tokens INTEGER NOT NULL DEFAULT 0,
      cache_read_input_tokens INTEGER NOT NULL DEFAULT 0,
      cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (task_id, attempt)
    )`,
  attemptsOpen: `CREATE INDEX attempts_open ON attempts (usage_open)`,
  // Agents already at work when hub is upgraded are followed from now on.
  followRunning: `
    INSERT INTO attempts (task_id, attempt)
    SELECT id, attempt FROM tasks
    WHERE started_at IS NOT NULL AND status IN ('in-progress', 'blocked', 'in-review')`,
  usageMessages: `
    CREATE TABLE usage_messages (
      task_id TEXT NOT NULL,
      message_id TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      input_tokens INTEGER NOT NULL,
      output_tokens INTEGER NOT NULL,
      cache_read_input_tokens INTEGER NOT NULL,
      cache_creation_input_tokens INTEGER NOT NULL,
      PRIMARY KEY (task_id, message_id)
    )`,
  usage: `ALTER TABLE tasks ADD COLUMN usage TEXT NOT NULL
    DEFAULT '{"input_tokens":0,"output_tokens":0,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}'`,
  // prev_event: where the last claim started, so that one UPDATE … RETURNING claims a range.
  notifyCursor: `CREATE TABLE notify_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    prev_event INTEGER NOT NULL,
    last_event INTEGER NOT NULL
  )`,
  notifyCursorRow: `INSERT INTO notify_cursor (id, prev_event, last_event) SELECT 1, COALESCE(MAX(id), 0), COALESCE(MAX(id), 0) FROM events`
} as const

const workflowAgents = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const t = AGENTS_TABLES
  for (const statement of [t.attempts, t.attemptsOpen, t.followRunning, t.usageMessages, t.usage]) yield* sql.unsafe(statement)
  // Every recorded start (the dispatcher's commit, or the agent's own report) opens its row.
  yield* sql`
    CREATE TRIGGER tasks_started AFTER UPDATE OF started_at ON tasks
    WHEN NEW.started_at IS NOT NULL AND OLD.started_at IS NULL BEGIN
      INSERT INTO attempts (task_id, attempt)
      SELECT NEW.id, NEW.attempt
      WHERE NOT EXISTS (SELECT 1 FROM attempts WHERE task_id = NEW.id AND attempt = NEW.attempt);
    END`
  yield* sql.unsafe(t.notifyCursor)
  yield* sql.unsafe(t.notifyCursorRow)
  yield* sql`PRAGMA user_version = 5`
})

/**
 * Hosts (issue 12): several machines claim from one queue. `host` is the machine (HUB_HOST)
 * of the task's latest attempt, set by the claim (null until the first); `claimed_at` is when
 * that claim was made (a sign of the host's life until it renews its lease). `hosts` holds
 * each host's lease: when it was last renewed. The indexes serve the per-host claim count and
 * each host's own in-progress tasks (host, status), and the lease look-up (its primary key).
 */
/** 0006's statements, the same in both stores (migrations.pg.ts runs them too). */
export const HOSTS_STATEMENTS = [
  `ALTER TABLE tasks ADD COLUMN host TEXT`,
  `ALTER TABLE tasks ADD COLUMN claimed_at TEXT`,
  // A claim made before hosts were recorded: its last change is the best guess of when.
  `UPDATE tasks SET claimed_at = COALESCE(started_at, updated_at) WHERE attempt > 0`,
  `CREATE INDEX tasks_host_status ON tasks (host, status)`,
  `CREATE TABLE hosts (
      name TEXT PRIMARY KEY,
      renewed_at TEXT NOT NULL
    )`
] as const

const hosts = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  for (const statement of HOSTS_STATEMENTS) yield* sql.unsafe(statement)
  yield* sql`PRAGMA user_version = 6`
})

export const migrations = {
  "0001_init": init,
  "0002_list_index": listIndex,
  "0003_agent_state": agentState,
  "0004_workflow_order": workflowOrder,
  "0005_workflow_agents": workflowAgents,
  "0006_hosts": hosts
} as const

export const LATEST_MIGRATION = 6
