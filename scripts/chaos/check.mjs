import * as fs from "node:fs"
// The invariants a chaos run checks on the event history (read straight from the SQLite file)
// and on the processes it ran. Each check returns a list of violations, one line each.

/**
 * An attempt is opened by its claim (ready → in-progress, actor dispatcher) and must be closed
 * by exactly one outcome of that claim:
 *   started              the dispatcher's commit ("agent started", a note: from = to), or the
 *                        agent's own record of it when it reported before that commit
 *   rolled back to X     the dispatcher's own undo: in-progress → ready | failed
 *   reconciled to ready  the reconciler found the claim without a window (dispatcher died)
 *   cancelled in flight  a person cancelled the task before its agent started
 * Anything else that happens to the task in between (an agent's fast report) is a move, not an
 * outcome. After "started" no outcome may follow: the dispatch commits and nothing is undone.
 */
const outcomeOf = (e) => {
  if (e.actor === "dispatcher" && e.from_status === e.to_status && e.reason === "agent started") return "started"
  if (e.actor === "agent" && e.from_status === "in-progress" && e.to_status === "in-progress" && e.reason.startsWith("agent started")) {
    return "started"
  }
  if (e.actor === "dispatcher" && e.from_status === "in-progress" && (e.to_status === "ready" || e.to_status === "failed")) {
    return `rolled back to ${e.to_status}`
  }
  if (e.actor === "reconciler" && e.from_status === "in-progress" && e.to_status === "ready") return "reconciled to ready"
  return null
}

const describe = (e) =>
  `#${e.id} ${e.from_status ?? "∅"}→${e.to_status} by ${e.actor} (${e.reason.length > 80 ? `${e.reason.slice(0, 77)}…` : e.reason})`

export const checkHistory = ({ db, cap, isEdge }) => {
  const events = db.prepare("SELECT * FROM events ORDER BY id").all()
  const rows = db.prepare("SELECT * FROM tasks ORDER BY seq").all()
  const violations = { "history-edges": [], attempts: [], "single-claim": [], cap: [] }
  const outcomes = {}
  const tasks = new Map()
  let claims = 0
  let peak = 0

  for (const e of events) {
    const t = tasks.get(e.task_id)
    if (t === undefined) {
      if (e.from_status !== null) violations["history-edges"].push(`${e.task_id}: its first event ${describe(e)} is not a creation`)
      tasks.set(e.task_id, { status: e.to_status, attempt: e.attempt, attempts: new Map() })
      continue
    }
    if (e.from_status === null) {
      violations["history-edges"].push(`${e.task_id}: created twice (${describe(e)})`)
    } else if (e.from_status !== t.status) {
      violations["history-edges"].push(`${e.task_id}: ${describe(e)} starts from ${e.from_status} but the task was ${t.status}`)
    }
    if (e.from_status !== null && e.from_status !== e.to_status && !isEdge(e.from_status, e.to_status)) {
      violations["history-edges"].push(`${e.task_id}: ${describe(e)} is not an edge of the transition table`)
    }
    const isClaim = e.from_status === "ready" && e.to_status === "in-progress"
    if (isClaim) {
      claims++
      if (e.actor !== "dispatcher") violations["history-edges"].push(`${e.task_id}: ${describe(e)}: a claim not made by the dispatcher`)
      if (e.attempt !== t.attempt + 1) {
        violations["single-claim"].push(`${e.task_id}: ${describe(e)} claims attempt ${e.attempt} after attempt ${t.attempt}`)
      }
      for (const open of t.attempts.values()) {
        if (open.outcomes.length === 0) {
          violations["single-claim"].push(
            `${e.task_id}: claimed as attempt ${e.attempt} (${describe(e)}) while attempt ${open.n} (claimed at #${open.claim}) was still open`
          )
        }
      }
      t.attempts.set(e.attempt, { n: e.attempt, claim: e.id, outcomes: [], moves: [] })
      t.attempt = e.attempt
    } else {
      if (e.attempt !== t.attempt) {
        violations.attempts.push(`${e.task_id}: ${describe(e)} names attempt ${e.attempt}, the current one is ${t.attempt}`)
      }
      const a = t.attempts.get(e.attempt)
      let outcome = outcomeOf(e)
      if (outcome === null && a && a.outcomes.length === 0 && e.to_status === "cancelled") outcome = "cancelled in flight"
      if (outcome !== null) {
        if (a === undefined) {
          violations.attempts.push(`${e.task_id}: ${describe(e)} ends attempt ${e.attempt}, which was never claimed`)
        } else {
          if (a.outcomes.length > 0) {
            violations.attempts.push(
              `${e.task_id}#${a.n}: a second outcome '${outcome}' (${describe(e)}) after '${a.outcomes[0].kind}' (#${a.outcomes[0].id})`
            )
          }
          a.outcomes.push({ kind: outcome, id: e.id })
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
        }
      } else {
        if (e.from_status === e.to_status) violations["history-edges"].push(`${e.task_id}: unexpected note ${describe(e)}`)
        if (e.actor === "reconciler" && a && a.outcomes[0]?.kind !== "started") {
          violations.attempts.push(`${e.task_id}#${a.n}: the reconciler judged an agent that never started: ${describe(e)}`)
        }
        a?.moves.push(`#${e.id} (${e.actor})`)
      }
    }
    t.status = e.to_status
    if (isClaim) {
      const running = [...tasks.values()].filter((x) => x.status === "in-progress").length
      peak = Math.max(peak, running)
      if (running > cap) violations.cap.push(`${e.task_id}: claimed (${describe(e)}) with ${running} tasks in progress, cap ${cap}`)
    }
  }

  for (const [id, t] of tasks) {
    for (const a of t.attempts.values()) {
      if (a.outcomes.length === 0) {
        violations.attempts.push(
          `${id}#${a.n}: claimed at #${a.claim} but never started, rolled back or reconciled (task now ${t.status}${a.moves.length ? `, moved by ${a.moves.join(", ")}` : ""})`
        )
      }
    }
  }
  for (const row of rows) {
    const t = tasks.get(row.id)
    if (t === undefined) violations["history-edges"].push(`${row.id}: no history at all`)
    else if (t.status !== row.status) violations["history-edges"].push(`${row.id}: is ${row.status} but its history ends in ${t.status}`)
  }
  return { violations, stats: { claims, outcomes, peakInProgress: peak, events: events.length } }
}

/**
 * Every hub process ends by itself or by the signal it was sent, in time, without an internal
 * error: dispatch exits 0, 1 or 130; the daemon exits 0 on SIGINT/SIGTERM; a human command 0 or 1.
 */
export const checkProcesses = (procs) => {
  const bad = []
  for (const { actor, p, result } of procs) {
    if (result === null) {
      bad.push(`${actor.id}: never finished`)
      continue
    }
    const sent = p.signals.map((s) => s.sig)
    const who = `${actor.id} (hub ${p.args.join(" ")})`
    if (result.hung) bad.push(`${who}: still running after ${result.ms}ms, killed`)
    if (/internal error|defect/i.test(p.stderr)) {
      bad.push(`${who}: ${p.stderr.split("\n").find((l) => /internal error|defect/i.test(l))?.slice(0, 300)}`)
    }
    if (result.signal) {
      if (!sent.includes(result.signal) && !result.hung) bad.push(`${who}: died of ${result.signal}, which it was not sent`)
      continue
    }
    const code = result.code
    if (actor.kind === "dispatch") {
      if (![0, 1, 130].includes(code)) bad.push(`${who}: exit ${code}`)
      if (code === 130 && !sent.some((s) => s === "SIGINT" || s === "SIGTERM")) bad.push(`${who}: exit 130 without a signal`)
      if (code === 1 && !/^hub: /m.test(p.stderr)) bad.push(`${who}: exit 1 without a one-line reason`)
    } else if (actor.kind === "daemon") {
      if (code !== 0 && !result.hung) bad.push(`${who}: exit ${code} after ${sent.join(", ") || "no signal"}: ${p.stderr.trim().split("\n").slice(-1)[0]?.slice(0, 200)}`)
    } else if (![0, 1].includes(code)) {
      bad.push(`${who}: exit ${code}`)
    }
  }
  return bad
}

/**
 * hooks.log: one line per hook an agent sent, "TASK-0001 1 busy 2" (task, its attempt, event,
 * the newest attempt that had a run folder when the hook went out).
 */
export const readHookLog = (file) => {
  let text = ""
  try {
    text = fs.readFileSync(file, "utf8")
  } catch {}
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => {
    const [task, attempt, event, newest] = l.split(" ")
    return { task, attempt: Number(attempt), event, newest: Number(newest ?? attempt) }
  })
}

/** The hook a policy's reason rests on: each needs that attempt's own agent to have sent it. */
const POLICY_NEEDS = [
  [/^agent waiting for permission: /, "wait"],
  [/^agent turn failed: /, "fail"],
  [/^agent idle for .* without reporting$/, "idle"],
  [/^agent is working again$/, "busy"]
]

/**
 * A hook of an older attempt changes nothing: every policy move the reconciler made for an
 * attempt on the strength of a hook (waiting → blocked, idle → in-review, busy → in-progress)
 * rests on a hook that attempt's own agent sent (logged before it was sent). A stale attempt's
 * late hook that moved the current attempt shows up as a move with no such hook.
 */
export const checkStaleHooks = ({ db, hooked }) => {
  const sent = new Set(hooked.map((h) => `${h.task}#${h.attempt}:${h.event}`))
  const bad = []
  for (const e of db.prepare("SELECT * FROM events WHERE actor = 'reconciler' ORDER BY id").all()) {
    for (const [pattern, event] of POLICY_NEEDS) {
      if (pattern.test(e.reason) && !sent.has(`${e.task_id}#${e.attempt}:${event}`)) {
        const others = hooked.filter((h) => h.task === e.task_id && h.event === event).map((h) => `#${h.attempt}`)
        bad.push(
          `${e.task_id}#${e.attempt}: ${describe(e)} rests on a '${event}' hook its agent never sent${others.length ? ` (attempts ${[...new Set(others)].join(", ")} sent one)` : ""}`
        )
      }
    }
  }
  return bad
}
