import { Data, Effect } from "effect"
import { type Dependency, waitingText } from "../domain/dependencies.js"
import type { Task, TaskEvent, TaskStatus } from "../domain/Task.js"
import type { TaskSummary } from "../store/rows.js"
import { formatUsage, isNoUsage } from "../domain/Usage.js"
import type { AttemptUsage } from "../store/attempts.js"
import type { StoredTask } from "../store/TaskStore.js"
import { printable } from "./printable.js"

// Also from here, where it was first (cli/agent.ts and code on other branches import it so).
export { printable }

/** The command already said what went wrong; exit with `code`. */
export class Reported extends Data.TaggedError("Reported")<{ readonly code: number }> {}

const line = (text: string) => printable(text.endsWith("\n") ? text : `${text}\n`)
export const out = (text: string) => Effect.sync(() => void process.stdout.write(line(text)))
export const err = (text: string) => Effect.sync(() => void process.stderr.write(line(text)))
export const json = (value: unknown) => out(JSON.stringify(value, null, 2))

/** A task as scripts see it (`--json`): the store's bookkeeping (rev) stays inside. */
export const taskJson = (task: Task & Partial<Omit<StoredTask, keyof Task>>): Task => {
  const { agent_active_at: _active, agent_signals_read: _read, change_actor: _actor, claimed_at: _claimed, rev: _rev, ...visible } =
    task
  return visible
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length))

export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!))).join("  ").trimEnd()
  return [line(header), ...rows.map(line)].join("\n")
}

/** One line of text: task titles may hold newlines that would break a table. */
export const flat = (s: string) => s.replace(/\s+/g, " ").trim()

/**
 * A status as the tables and `task show` say it: with what it waits for, for a task whose
 * dependencies are not all done (`ready, waiting on TASK-0001 (failed), TASK-0002 (in-progress)`).
 */
export const statusText = (status: TaskStatus, unmet: ReadonlyArray<Dependency>) => {
  const waiting = waitingText(unmet)
  return waiting === undefined ? status : `${status}, ${waiting}`
}

export const taskTable = (tasks: ReadonlyArray<TaskSummary>) =>
  tasks.length === 0
    ? "no tasks"
    : table(
      ["ID", "STATUS", "PRIORITY", "KIND", "REPO", "TITLE"],
      tasks.map((t) => [t.id, statusText(t.status, t.waiting), t.priority, t.kind, t.repo ?? "-", flat(t.title)])
    )

/** One line per attempt whose agent left a session or used tokens. */
const attemptLines = (attempts: ReadonlyArray<AttemptUsage>) =>
  attempts
    .filter((a) => a.agent_session_id !== null || a.resumed_from !== null || !isNoUsage(a))
    .map((a) => {
      const notes = [
        ...(a.resumed_from === null ? [] : [`continued attempt ${a.resumed_from}'s conversation`]),
        ...(a.agent_session_id === null ? [] : [`agent session ${a.agent_session_id}`])
      ]
      return `  attempt ${a.attempt}: ${formatUsage(a)}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`
    })

/**
 * One task for people; `unmet`: its dependencies not done, if it is not yet started;
 * `attempts`: what each attempt's agent used.
 */
export const taskDetail = (task: Task, unmet: ReadonlyArray<Dependency> = [], attempts: ReadonlyArray<AttemptUsage> = []) => {
  const lines = [
    `${task.id}  ${flat(task.title)}`,
    `status:      ${statusText(task.status, unmet)}`,
    `priority:    ${task.priority}`,
    ...(task.after.length > 0 ? [`after:       ${task.after.join(", ")}`] : []),
    `kind:        ${task.kind}`,
    `repo:        ${task.repo ?? "-"}`,
    `attempt:     ${task.attempt}`,
    `created:     ${task.created_at}`,
    `updated:     ${task.updated_at}`
  ]
  if (task.host) lines.push(`host:        ${task.host}`)
  if (task.session_id) lines.push(`session:     ${task.session_id}`)
  if (task.agent_state) {
    lines.push(`agent:       ${task.agent_state} since ${task.agent_state_at ?? "?"}${task.agent_state_reason ? ` (${printable(flat(task.agent_state_reason))})` : ""}`)
  }
  // Only where hub read something: an agent without a transcript has no tokens to show.
  const perAttempt = attemptLines(attempts)
  if (!isNoUsage(task.usage) || perAttempt.length > 0) lines.push(`tokens:      ${formatUsage(task.usage)}`, ...perAttempt)
  if (task.window_id) lines.push(`window:      ${task.window_id}${task.pane_pid ? ` (pane pid ${task.pane_pid})` : ""}`)
  if (task.workspace) lines.push(`workspace:   ${task.workspace}`)
  if (task.error) lines.push(`error:       ${task.error}`)
  if (task.description.trim() !== "") lines.push("", task.description)
  if (task.links.length > 0) lines.push("", "links:", ...task.links.map((l) => `  ${l}`))
  if (task.comments.length > 0) {
    lines.push("", "comments:", ...task.comments.map((c) => `  [${c.at}] ${c.author}: ${c.text}`))
  }
  return lines.join("\n")
}

export const eventTable = (events: ReadonlyArray<TaskEvent>) =>
  table(
    ["AT", "ATTEMPT", "FROM", "TO", "ACTOR", "REASON"],
    events.map((e) => [e.at, String(e.attempt), e.from ?? "-", e.to, e.actor, flat(e.reason)])
  )
