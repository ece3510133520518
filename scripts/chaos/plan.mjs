// The plan of one chaos run, drawn from a seeded PRNG and nothing else: the same seed gives the
// same plan (tasks, agents, actors, faults and their timing), so `--seed S --runs 1` replays a
// run as far as a plan can fix it (the machine decides the rest of the interleaving).

/** mulberry32: small, fast, good enough for choosing faults; 32-bit seed. */
export const prng = (seed) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = (items) => items[Math.floor(next() * items.length)]
  const chance = (p) => next() < p
  /** weighted([[weight, value], ...]) */
  const weighted = (entries) => {
    const total = entries.reduce((s, [w]) => s + w, 0)
    let x = next() * total
    for (const [w, v] of entries) {
      if ((x -= w) < 0) return v
    }
    return entries[entries.length - 1][1]
  }
  return { next, int, pick, chance, weighted }
}

/** Placeholder for the canary file's absolute path; filled in when the run has a directory. */
export const CANARY = "@CANARY@"

/**
 * Task text that would run a command if hub ever spliced it into a shell or tmux command line.
 * Each one touches the canary. Some end in `;` (a tmux command separator), some carry `#(...)`
 * (a tmux format job), newlines, quotes of every kind.
 */
export const HOSTILE = [
  `$(touch ${CANARY})`,
  `'; touch ${CANARY} #`,
  `"; touch ${CANARY}; echo "`,
  "`touch " + CANARY + "`",
  `#(touch ${CANARY})`,
  `fix the build; touch ${CANARY};`,
  `x;`,
  `run-shell "touch ${CANARY}" ;`,
  `;`,
  `$(touch ${CANARY}) \\`,
  `line one\n$(touch ${CANARY})\n'; touch ${CANARY} #`,
  `#{pane_pid} #(touch ${CANARY}) ##(touch ${CANARY})`,
  `-e FOO=bar ; run-shell 'touch ${CANARY}' ;`,
  `%1 %% $HOME \${HOME} !! *; touch ${CANARY}`
]

const NORMAL_TITLES = [
  "Add retries to the HTTP client",
  "Fix flaky test in parser",
  "Review the storage migration",
  "Debug slow start-up",
  "Rename config keys",
  "Document the release process",
  "Speed up CI cache",
  "Tidy error messages"
]

const NORMAL_DESCRIPTIONS = ["", "", "Small change, see the linked issue.", "Steps:\n1. reproduce\n2. fix\n3. test"]

/** HUB_HOME directory names that a careless shell or tmux call would trip over. */
const HOSTILE_HOMES = [
  "hub home",
  "hub;",
  "h#(cd;touch canary-home)",
  "h$(cd;touch canary-home)",
  "h'quote\"",
  "h ##{pane_pid} #{session_name};"
]

const GIT_SLOW = ["fetch", "worktree-add", "rev-parse"]
const TMUX_SLOW = ["new-window", "list-panes", "has-session", "kill-window", "new-session"]
const GIT_FAIL = ["fetch", "worktree-add", "worktree-prune", "rev-parse", "status", "rev-list", "branch"]
const TMUX_FAIL = ["new-window", "list-panes", "kill-window", "has-session", "new-session"]

const agentBehaviour = (r) =>
  r.weighted([
    [30, () => ({ kind: "hang" })],
    [45, () => ({ kind: "exit", code: r.pick([0, 0, 1, 2, 3, 42, 127]), delay: r.pick([0, 0.05, 0.2, 0.5, 0.9]) })],
    [25, () => {
      const status = r.pick(["in-review", "blocked", "done", "failed"])
      // An agent that reports done or failed and then keeps running would leave a live window
      // for a finished task, which only `hub reap` repairs: agents end their session on report.
      const then = (status === "in-review" || status === "blocked") && r.chance(0.5) ? "hang" : "exit"
      return { kind: "report", status, delay: r.pick([0, 0.1, 0.4]), then }
    }]
  ])()

export const describeAgent = (a) =>
  a.kind === "hang"
    ? "hang (sleep 600)"
    : a.kind === "exit"
    ? `exit ${a.code} after ${a.delay}s`
    : `report ${a.status} after ${a.delay}s, then ${a.then}`

/** The agent script's view of a behaviour: one line of words. */
export const agentLine = (a) =>
  a.kind === "hang" ? "hang" : a.kind === "exit" ? `exit ${a.code} ${a.delay}` : `report ${a.status} ${a.delay} ${a.then}`

const shimFaults = (r) => {
  const shim = {}
  if (r.chance(0.5)) {
    const tool = r.chance(0.5) ? "git" : "tmux"
    shim.slow = { tool, sub: r.pick(tool === "git" ? GIT_SLOW : TMUX_SLOW), secs: r.pick([0.3, 0.6, 1.0, 1.5]) }
  }
  if (r.chance(0.25)) {
    const tool = r.chance(0.5) ? "git" : "tmux"
    shim.fail = { tool, sub: r.pick(tool === "git" ? GIT_FAIL : TMUX_FAIL) }
  }
  // A tight HUB_GIT_TIMEOUT / HUB_TMUX_TIMEOUT: hub kills git or tmux in the middle of its work.
  if (r.chance(0.1)) shim.timeout = r.chance(0.5) ? { tool: "git", ms: r.pick([30, 80, 200]) } : { tool: "tmux", ms: r.pick([30, 80, 200, 400]) }
  return shim
}

const signalFor = (r, kind, shim) => {
  const sig = kind === "dispatch"
    ? r.weighted([[60, "SIGKILL"], [30, "SIGINT"], [10, "SIGTERM"]])
    : r.weighted([[50, "SIGKILL"], [25, "SIGINT"], [25, "SIGTERM"]])
  // A Ctrl-C in a terminal reaches the whole process group (git, tmux children too).
  const target = r.chance(0.3) ? "group" : "pid"
  const trigger = shim.slow && r.chance(0.65)
    ? { on: "mark", mark: `${shim.slow.tool}.${shim.slow.sub}`, after: r.int(0, Math.round(shim.slow.secs * 1000)) }
    : r.chance(0.4)
    ? { on: "claim", after: r.int(0, 400) }
    : { on: "time", after: r.int(0, 2000) }
  return { sig, target, trigger }
}

export const makePlan = (seed) => {
  const r = prng(seed)
  const cap = r.int(1, 3)
  const home = r.chance(0.2) ? r.pick(HOSTILE_HOMES) : "hub"
  const repos = r.chance(0.5) ? ["chaos/alpha"] : ["chaos/alpha", "chaos/beta"]

  const tasks = []
  const n = r.int(2, 5)
  for (let i = 0; i < n; i++) {
    const hostileTitle = r.chance(0.35)
    const title = hostileTitle ? r.pick(HOSTILE) : r.pick(NORMAL_TITLES)
    let description = r.chance(0.3) ? r.pick(HOSTILE) : r.pick(NORMAL_DESCRIPTIONS)
    // Past ~8 KB the prompts travel by file instead of tmux's command line.
    if (r.chance(0.06)) description = Array.from({ length: 400 }, () => r.pick(HOSTILE)).join("\n")
    const repo = r.chance(0.6) ? (r.chance(0.08) ? "chaos/ghost" : r.pick(repos)) : null
    tasks.push({
      title,
      description,
      repo,
      kind: r.pick(["implement", "review", "debug"]),
      status: r.chance(0.1) ? "backlog" : "ready",
      agent: agentBehaviour(r),
      hooks: []
    })
  }

  const horizon = r.int(1500, 3500)
  const actors = []
  const count = r.weighted([[35, 1], [45, 2], [20, 3]])
  for (let i = 0; i < count; i++) {
    const kind = r.chance(0.7) ? "dispatch" : "daemon"
    const at = i === 0 ? 0 : r.int(0, 1800)
    const shim = shimFaults(r)
    const signal = r.chance(kind === "dispatch" ? 0.55 : 0.6) ? signalFor(r, kind, shim) : null
    const actor = { id: `${kind === "dispatch" ? "d" : "D"}${actors.length + 1}`, kind, at, shim, signal }
    if (kind === "daemon") actor.interval = r.pick(["200ms", "400ms", "1s"])
    actors.push(actor)
    if (kind === "dispatch" && r.chance(0.25)) {
      // Two dispatchers at once: a twin started within a few ms, with its own faults.
      const twinShim = shimFaults(r)
      actors.push({
        id: `d${actors.length + 1}`,
        kind: "dispatch",
        at: at + r.int(0, 30),
        shim: twinShim,
        signal: r.chance(0.4) ? signalFor(r, "dispatch", twinShim) : null,
        twinOf: actor.id
      })
    }
  }

  // Disruptions wait for their moment (the window exists, the task is in a status where the
  // command applies) from `at` on, then strike `after` ms later; once every actor has ended
  // they strike at once.
  const disruptions = []
  const kills = r.weighted([[50, 0], [35, 1], [15, 2]])
  for (let i = 0; i < kills; i++) {
    // The nth hub window (by name) once there is one: a window that exists is what a person kills.
    disruptions.push({ kind: "kill-window", at: r.int(0, 1500), after: r.int(0, 1500), nth: r.int(0, 2) })
  }
  if (r.chance(0.06)) disruptions.push({ kind: "kill-server", at: r.int(0, 1500), after: r.int(0, 1500) })
  if (r.chance(0.3)) {
    disruptions.push({ kind: "human", at: r.int(0, 1500), after: r.int(0, 600), action: r.pick(["cancel", "retry", "ready"]), task: r.int(0, n - 1) })
  }
  // Hooks come from a PRNG of their own, so that everything above is the plan this seed had
  // before agents hooked: an old seed replays its old faults, with hooks on top.
  const h = prng((seed ^ 0x5bd1e995) >>> 0)
  const idleAfter = h.chance(0.6) ? h.pick(["500ms", "500ms", "1s"]) : null
  for (const [i, t] of tasks.entries()) {
    t.hooks = h.chance(0.7) ? hookPlan(h) : []
    // An agent whose turn ended idles at its prompt, as Claude Code does: with HUB_IDLE_AFTER
    // small, reconcile puts its task in review.
    if (t.hooks.at(-1)?.event === "idle" && t.hooks.at(-1).mode === "fg" && t.agent.kind !== "hang" && h.chance(0.4)) {
      t.agent = { kind: "hang" }
    }
    // A person's cancel aimed at an agent that is hooking: the hook races the cancel.
    if (t.hooks.length > 0 && h.chance(0.12)) {
      disruptions.push({ kind: "human", at: h.int(0, 1500), after: h.int(0, 300), action: "cancel", task: i })
    }
    // An agent that fails with a late hook still pending, retried at once: the hook of
    // attempt 1 lands after attempt 2 started (when a daemon or a dispatcher claims it).
    if (t.hooks.some((s) => s.mode === "bg") && t.agent.kind !== "hang" && h.chance(0.6)) {
      disruptions.push({ kind: "human", at: h.int(0, 800), after: h.int(0, 150), action: "retry", task: i })
    }
  }
  // After the actors: each task that has a newer attempt than its first gets a hook from its
  // first attempt's window (that attempt's HUB_SESSION_ID and HUB_RUN_DIR), as a stale agent
  // would send it; the final reconcile must not act on it.
  const ghost = h.chance(0.6) ? h.pick(["busy", "idle", "wait", "fail"]) : null
  disruptions.sort((a, b) => a.at - b.at)

  return { seed, cap, home, repos, tasks, horizon, actors, disruptions, idleAfter, ghost }
}

/** What the hooks send on stdin, by kind (as Claude Code's hooks would). */
export const HOOK_EVENTS = {
  busy: { hook_event_name: "PreToolUse", tool_name: "Bash" },
  idle: { hook_event_name: "Stop" },
  wait: { hook_event_name: "Notification", notification_type: "permission_prompt", message: "Claude needs your permission to use Bash" },
  fail: { hook_event_name: "StopFailure", error: "rate_limit" }
}

/**
 * An agent's hooks, each a step the agent script takes before its behaviour (exit, report,
 * hang): `fg` waits `delay` then hooks; `bg` hooks in the background `delay` later, ignoring
 * SIGHUP, so it lands while the agent reports or exits, or after its window was killed and a
 * newer attempt started (a stale attempt's late hook); `race` hooks in the background at the
 * very moment the agent reports or exits.
 */
const hookPlan = (h) => {
  const kind = () => h.weighted([[40, "busy"], [25, "idle"], [20, "wait"], [15, "fail"]])
  const fg = (event, delay) => ({ mode: "fg", event, delay })
  // A pause long enough for a daemon's reconcile (every 200 ms to 1 s) to see the state.
  const pause = () => h.pick([0.6, 1, 1.5])
  const steps = h.weighted([
    // A turn: tool calls, then the turn ends (idle; in review after HUB_IDLE_AFTER).
    [30, () => [...Array.from({ length: h.int(1, 3) }, () => fg("busy", h.pick([0, 0.1]))), fg("idle", h.pick([0, 0.1]))]],
    // A permission prompt (blocked), answered: busy again (in progress again), then idle.
    [25, () => [fg("busy", 0), fg("wait", h.pick([0, 0.1])), fg("busy", pause()), ...(h.chance(0.5) ? [fg("idle", 0.1)] : [])]],
    // A turn that failed on an API error (waiting: blocked), then retried by hand (busy).
    [15, () => [fg("busy", 0), fg("fail", h.pick([0, 0.1])), ...(h.chance(0.6) ? [fg("busy", pause())] : [])]],
    // Anything at all.
    [30, () => Array.from({ length: h.int(1, 4) }, () => fg(kind(), h.pick([0, 0, 0.1, 0.3, 0.6])))]
  ])()
  if (h.chance(0.35)) steps.push({ mode: "bg", event: kind(), delay: h.pick([0.5, 1, 1.5, 2.5]) })
  if (h.chance(0.3)) steps.push({ mode: "race", event: kind(), delay: 0 })
  return steps
}

export const describeHooks = (hooks) =>
  hooks.map((s) => (s.mode === "fg" ? `${s.event} +${s.delay}s` : s.mode === "bg" ? `${s.event} in the background ${s.delay}s later (HUP ignored)` : `${s.event} racing the report/exit`)).join(", ")

/** The statuses in which a person's command applies: the human waits for one of them. */
export const HUMAN_WHEN = { cancel: ["in-progress"], retry: ["failed"], ready: ["in-review", "blocked"] }

export const taskId = (index) => `TASK-${String(index + 1).padStart(4, "0")}`

const shimText = (shim) =>
  [
    shim.slow ? `slow ${shim.slow.tool} ${shim.slow.sub} ${shim.slow.secs}s` : null,
    shim.fail ? `fail ${shim.fail.tool} ${shim.fail.sub}` : null,
    shim.timeout ? `HUB_${shim.timeout.tool.toUpperCase()}_TIMEOUT=${shim.timeout.ms}` : null
  ].filter(Boolean).join(", ")

export const describeActor = (a) => {
  const parts = [`${a.id} at +${a.at}ms: hub ${a.kind === "dispatch" ? "dispatch" : `daemon --interval ${a.interval}`}`]
  if (a.twinOf) parts.push(`(twin of ${a.twinOf})`)
  const shim = shimText(a.shim)
  if (shim) parts.push(`[${shim}]`)
  if (a.signal) {
    const t = a.signal.trigger
    const when = t.on === "mark"
      ? `${t.after}ms into the slow ${t.mark}`
      : t.on === "claim"
      ? `${t.after}ms after its first claim`
      : `${t.after}ms after ${a.kind === "daemon" ? "it started" : "a start-up's time"}`
    parts.push(`→ ${a.signal.sig} to ${a.signal.target} ${when}`)
  } else if (a.kind === "daemon") {
    parts.push("→ SIGTERM at the horizon")
  }
  return parts.join(" ")
}

const quote = (s) => JSON.stringify(s.length > 120 ? `${s.slice(0, 117)}…(${s.length} chars)` : s)

/** The plan as numbered lines, for a failing run's report. */
export const describePlan = (plan) => {
  const lines = [
    `seed ${plan.seed}: HUB_DISPATCH_CAP=${plan.cap}, HUB_HOME dir ${quote(plan.home)}, repos ${plan.repos.join(", ")}, horizon ${plan.horizon}ms${plan.idleAfter ? `, HUB_IDLE_AFTER=${plan.idleAfter}` : ""}`
  ]
  plan.tasks.forEach((t, i) =>
    lines.push(
      `${taskId(i)}: title ${quote(t.title)}${t.description ? ` description ${quote(t.description)}` : ""} ${t.kind} repo ${t.repo ?? "-"}${t.status === "backlog" ? " (backlog)" : ""}; agent ${describeAgent(t.agent)}${t.hooks.length ? `; hooks ${describeHooks(t.hooks)}` : ""}`
    ))
  for (const a of plan.actors) lines.push(describeActor(a))
  if (plan.ghost) lines.push(`after the actors: a '${plan.ghost}' hook from the first attempt of every task with a newer one`)
  for (const d of plan.disruptions) {
    lines.push(
      d.kind === "kill-window"
        ? `from +${d.at}ms: tmux kill-window of hub window #${d.nth} (by name), ${d.after}ms after a hub window appears`
        : d.kind === "kill-server"
        ? `from +${d.at}ms: tmux kill-server, ${d.after}ms after a hub window appears`
        : `from +${d.at}ms: hub task ${d.action} ${taskId(d.task)}, ${d.after}ms after it is ${HUMAN_WHEN[d.action].join(" or ")}`
    )
  }
  return lines
}

/** The fault kinds a plan holds, for the summary's fault mix. */
export const faultsOf = (plan) => {
  const f = []
  f.push(`cap=${plan.cap}`)
  if (plan.idleAfter) f.push(`HUB_IDLE_AFTER=${plan.idleAfter}`)
  if (plan.ghost) f.push(`stale attempt's hook ${plan.ghost} after the actors`)
  if (plan.home !== "hub") f.push("hostile HUB_HOME path")
  for (const t of plan.tasks) {
    if (HOSTILE.includes(t.title)) f.push("hostile title")
    if (t.description.length > 8000) f.push("long hostile description (prompt by file)")
    else if (HOSTILE.includes(t.description)) f.push("hostile description")
    if (t.repo === "chaos/ghost") f.push("task on a repo never added")
    for (const s of t.hooks) f.push(s.mode === "fg" ? `hook ${s.event}` : s.mode === "bg" ? `late hook ${s.event} (background)` : `hook ${s.event} racing ${t.agent.kind === "report" ? "the report" : "the exit"}`)
    f.push(`agent ${t.agent.kind === "exit" ? `exit ${t.agent.code === 0 ? "0" : "non-zero"}` : t.agent.kind === "report" ? `report ${t.agent.status}` : "hang"}`)
  }
  for (const a of plan.actors) {
    f.push(a.kind === "dispatch" ? "hub dispatch" : "hub daemon")
    if (a.twinOf) f.push("two dispatchers at once")
    if (a.shim.slow) f.push(`slow ${a.shim.slow.tool} ${a.shim.slow.sub}`)
    if (a.shim.fail) f.push(`fail ${a.shim.fail.tool} ${a.shim.fail.sub}`)
    if (a.signal) f.push(`${a.signal.sig} ${a.kind}${a.signal.target === "group" ? " (group)" : ""}`)
  }
  for (const a of plan.actors) if (a.shim.timeout) f.push(`HUB_${a.shim.timeout.tool.toUpperCase()}_TIMEOUT=${a.shim.timeout.ms}`)
  for (const d of plan.disruptions) {
    f.push(d.kind === "kill-window" ? "window killed by hand" : d.kind === "kill-server" ? "tmux server killed by hand" : `human task ${d.action}`)
  }
  return f
}
