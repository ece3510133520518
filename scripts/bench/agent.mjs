// Agent state and wake-ups (issue 10):
// 1. `hub agent hook` (it runs on every tool call) beside `node -e 0`, both with the window's
//    environment, interleaved.
// 2. latency from `hub task create` to a live window, with a daemon at its default interval
//    (30 s): the daemon must act on the change, not on its tick.
// 3. the daemon's CPU while idle, with 10 live agents.
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { BIN, Database, figure, interleave, log, makeSandbox, nowMs, stats } from "./lib.mjs"

export const name = "agent"
export const description = "hub agent hook vs node -e 0; create → live window with a daemon; the daemon's idle CPU"

const sessionIdFor = async (taskId, attempt) => (await import("../../dist/lib/agent/session.js")).sessionIdFor(taskId, attempt)

const timed = (args, options) => {
  const t0 = nowMs()
  const r = spawnSync(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"], ...options })
  const ms = nowMs() - t0
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`)
  return ms
}

const hookSpeed = async (rounds) => {
  const sandbox = makeSandbox("hook")
  try {
    const runDir = path.join(sandbox.hubHome, "runs", "TASK-0001", "1")
    fs.mkdirSync(runDir, { recursive: true })
    fs.writeFileSync(path.join(runDir, "session"), await sessionIdFor("TASK-0001", 1))
    const env = {
      ...sandbox.env,
      HUB_TASK_ID: "TASK-0001",
      HUB_SESSION_ID: await sessionIdFor("TASK-0001", 1),
      HUB_RUN_DIR: runDir
    }
    const payload = JSON.stringify({
      session_id: "s", transcript_path: "/t.jsonl", cwd: "/w", hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command: "ls" }
    })
    for (let i = 0; i < 3; i++) {
      timed(["-e", "0"], { env })
      timed([BIN, "agent", "hook"], { env, input: payload })
    }
    const [node, hook] = interleave(rounds, [
      () => timed(["-e", "0"], { env }),
      () => timed([BIN, "agent", "hook"], { env, input: payload })
    ]).map(stats)
    const recorded = fs.readFileSync(path.join(runDir, "agent-signals"), "utf8").trim().split("\n").length
    if (recorded !== rounds + 3) throw new Error(`the hook recorded ${recorded} signals, expected ${rounds + 3}`)
    return figure({
      bench: name,
      measure: "hub agent hook (PreToolUse on stdin, recorded in the run folder)",
      hub: hook,
      reference: node,
      referenceName: "node -e 0, same environment",
      aim: { text: "≤ 1.5× node", ok: hook.median / node.median <= 1.5 }
    })
  } finally {
    sandbox.dispose()
  }
}

const startDaemon = (sandbox, env) => {
  const child = spawn(process.execPath, [BIN, "daemon"], { env: { ...sandbox.env, ...env }, stdio: ["ignore", "ignore", "pipe"] })
  let stderr = ""
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d))
  return { child, log: () => stderr }
}

const waitUntil = async (check, ms, what) => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const cpuTicks = (pid) => {
  const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
  return Number(fields[11]) + Number(fields[12])
}

const daemonFigures = async (rounds, idleSeconds, agents) => {
  const sandbox = makeSandbox("daemon")
  const daemon = startDaemon(sandbox, { HUB_DISPATCH_CAP: String(rounds + agents + 1) })
  try {
    const window = (id) => {
      const db = new Database(path.join(sandbox.hubHome, "hub.db"), { readonly: true, fileMustExist: true })
      try {
        return db.prepare("SELECT window_id FROM tasks WHERE id = ?").get(id)?.window_id ?? null
      } finally {
        db.close()
      }
    }
    // The first task proves the daemon's first tick has run; after it, the next is 30 s away.
    const first = sandbox.hub(["task", "create", "--title", "first"]).stdout.trim()
    await waitUntil(() => fs.existsSync(path.join(sandbox.hubHome, "hub.db")) && window(first) !== null, 30_000, "the first window")
    const latency = []
    for (let i = 0; i < rounds; i++) {
      const t0 = nowMs()
      const id = sandbox.hub(["task", "create", "--title", `latency ${i}`]).stdout.trim()
      await waitUntil(() => window(id) !== null, 25_000, `a window for ${id} (did the daemon wait for its tick?)`)
      latency.push(nowMs() - t0)
    }
    const create = []
    for (let i = 0; i < rounds; i++) create.push(timed([BIN, "task", "create", "--title", `create only ${i}`, "--status", "backlog"], { env: sandbox.env }))
    // Idle with live agents: every window up, nothing to do.
    const live = []
    for (let i = live.length; i < agents - rounds - 1; i++) live.push(sandbox.hub(["task", "create", "--title", `agent ${i}`]).stdout.trim())
    for (const id of live) await waitUntil(() => window(id) !== null, 30_000, `a window for ${id}`)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const hz = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100
    const before = cpuTicks(daemon.child.pid)
    const t0 = nowMs()
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000))
    const cpuMs = ((cpuTicks(daemon.child.pid) - before) / hz) * 1000
    const share = cpuMs / (nowMs() - t0)
    log(`  daemon idle: ${cpuMs.toFixed(0)} ms of CPU in ${idleSeconds} s with ${agents} live agents (${(share * 100).toFixed(2)} % of a core)`)
    return [
      figure({
        bench: name,
        measure: "hub task create → live window, daemon at its default interval (30 s)",
        hub: stats(latency),
        reference: stats(create),
        referenceName: "hub task create alone",
        aim: { text: "≤ 1 s", ok: stats(latency).median <= 1000 }
      }),
      figure({
        bench: name,
        measure: `daemon CPU while idle, ${agents} live agents, ${idleSeconds} s`,
        hub: null,
        note: `${(share * 100).toFixed(2)} % of one core (${cpuMs.toFixed(0)} ms)`,
        aim: { text: "well under 1 % of a core", ok: share < 0.01 }
      })
    ]
  } finally {
    daemon.child.kill("SIGTERM")
    await new Promise((resolve) => daemon.child.once("close", resolve))
    sandbox.dispose()
  }
}

export const run = async ({ quick }) => [
  await hookSpeed(quick ? 10 : 30),
  ...(await daemonFigures(quick ? 3 : 9, quick ? 10 : 60, 10))
]
