import { Array as Arr, Inspectable, ParseResult, Predicate, Schema, SchemaAST as AST } from "effect"
import type { Dependency } from "../domain/dependencies.js"
import { Actor, Comment, Task, TaskEvent } from "../domain/Task.js"
import { Usage } from "../domain/Usage.js"
import { oneLine } from "../shared/messages.js"

/** SQLite has no boolean: 0 or 1 in the column, a boolean in the task. */
const BooleanFromBit = Schema.transform(Schema.Literal(0, 1), Schema.Boolean, {
  strict: true,
  decode: (bit) => bit === 1,
  encode: (flag) => (flag ? 1 : 0)
})

/**
 * A `tasks` row as SQLite returns it, decoded into the task with its revision: the JSON
 * columns parsed, the bit a boolean, every other column held to the domain's schema. Of the
 * store's own columns, seq and change_reason are dropped.
 */
export const TaskRow = Schema.Struct({
  ...Task.fields,
  links: Schema.parseJson(Task.fields.links),
  comments: Schema.parseJson(Schema.Array(Comment)),
  usage: Schema.parseJson(Usage),
  workspace_fresh: BooleanFromBit,
  after: Schema.parseJson(Task.fields.after),
  rev: Schema.Number,
  // The store's bookkeeping, not in the task's JSON: who made the last change, when the agent
  // last showed life, and how far its signals were read.
  change_actor: Actor,
  agent_active_at: Schema.NullOr(Schema.String),
  agent_signals_read: Schema.Number,
  /** When the current attempt was claimed on its host: a sign of that host's life (hostLease.ts). */
  claimed_at: Schema.NullOr(Schema.String)
})

/** The columns of `hub task list`'s table, as its narrower SELECT returns them. */
export const SummaryRow = Schema.Struct({
  id: Task.fields.id,
  status: Task.fields.status,
  priority: Task.fields.priority,
  kind: Task.fields.kind,
  repo: Task.fields.repo,
  title: Task.fields.title
})

/** A row of the table and, for a task not yet started, its dependencies that are not done. */
export type TaskSummary = typeof SummaryRow.Type & { readonly waiting: ReadonlyArray<Dependency> }

/** A dependency not yet done of a task not yet started: whose (`task_id`), which, in what status. */
export const UnmetRow = Schema.Struct({
  task_id: Task.fields.id,
  id: Task.fields.id,
  status: Task.fields.status
})

/** An `events` row: its two status columns are the event's `from` and `to`. */
export const EventRow = Schema.Struct({
  ...TaskEvent.fields,
  from: Schema.propertySignature(TaskEvent.fields.from).pipe(Schema.fromKey("from_status")),
  to: Schema.propertySignature(TaskEvent.fields.to).pipe(Schema.fromKey("to_status"))
})

/**
 * A row that does not decode, in one line: the table, the row's id, the column and what is
 * wrong with it, e.g. `a row of tasks does not decode (TASK-0007, links): Unexpected token …`.
 */
export const describeRowError = (table: string, error: ParseResult.ParseError): string => {
  let id = "?"
  const path: Array<PropertyKey> = []
  // Down the first failure: the Pointers on the way name the column, the innermost value with
  // an `id` is the row.
  let at: ParseResult.ParseIssue = error.issue
  for (;;) {
    if (!Arr.isArray(at.actual) && Predicate.hasProperty(at.actual, "id")) id = String(at.actual.id)
    const next = inner(at)
    if (next === undefined) break
    if (at._tag === "Pointer") path.push(...Arr.ensure(at.path))
    at = next
  }
  // The row's index, when a whole result was decoded at once, says nothing to a reader.
  const column = path.filter((key, i) => !(i === 0 && typeof key === "number")).map(String).join(".")
  return oneLine(`a row of ${table} does not decode (${[id, column].filter((s) => s !== "").join(", ")}): ${whatIsWrong(at)}`)
}

/** The issue one step down the first failure; none at a leaf, or at a union (its members all failed). */
const inner = (issue: ParseResult.ParseIssue): ParseResult.ParseIssue | undefined => {
  switch (issue._tag) {
    case "Pointer":
    case "Transformation":
      return issue.issue
    case "Refinement":
      return issue.kind === "From" ? issue.issue : undefined
    case "Composite":
      return AST.isUnion(issue.ast) ? undefined : Arr.ensure(issue.issues).at(0)
    default:
      return undefined
  }
}

const whatIsWrong = (issue: ParseResult.ParseIssue): string =>
  issue._tag === "Composite" && AST.isUnion(issue.ast)
    ? `Expected ${String(issue.ast)}, actual ${Inspectable.format(issue.actual)}`
    : ParseResult.ArrayFormatter.formatIssueSync(issue).at(0)?.message ?? String(issue.actual)

/** A `hosts` row: a host's lease. */
export const HostLeaseRow = Schema.Struct({
  name: Schema.String,
  renewed_at: Schema.String
})

/** Another host's in-progress attempt with its host's lease (null: the host never renewed one). */
export const HostedAttemptRow = Schema.Struct({
  id: Task.fields.id,
  attempt: Schema.Number,
  host: Schema.String,
  claimed_at: Schema.NullOr(Schema.String),
  renewed_at: Schema.NullOr(Schema.String)
})
