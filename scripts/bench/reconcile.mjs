// 3. Reconcile with 100 in-progress tasks whose agents are alive (one `tmux list-panes` call),
// and `hub status` at that size, beside one raw `tmux list-panes -a` call.
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import {
  countingShim,
  createTasks,
  figure,
  log,
  makeSandbox,
  nowMs,
  sandboxRuntime,
  shimCalls,
  stats,
  timeHub,
  withPath
} from "./lib.mjs"

export const name = "reconcile"
export const description = "reconcile pass and hub status with 100 live in-progress tasks vs one tmux list-panes"

const PANE_FORMAT = "#{session_name}\t#{window_name}\t#{window_id}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}"

export const run = async ({ lib, quick }) => {
  const tasks = 100
  const rounds = quick ? 10 : 30
  const cliRounds = quick ? 5 : 15
  const { hub } = lib
  const sandbox = makeSandbox("reconcile")
  const rt = sandboxRuntime(lib, sandbox, { dispatchCap: tasks })
  try {
    // 100 real dispatches (repo-less tasks: a plain folder each) → 100 live `sleep 600` windows.
    await createTasks(lib, rt, tasks, (i) => ({ title: `reconcile bench ${i}` }))
    const t0 = nowMs()
    const pass = await rt.run(hub.dispatchPass)
    if (pass.started.length !== tasks) throw new Error(`dispatched ${pass.started.length} of ${tasks} tasks`)
    log(`  setup: ${tasks} tasks dispatched in ${((nowMs() - t0) / 1000).toFixed(1)} s (live windows on a private tmux server)`)

    const rawListPanes = () => {
      const t = nowMs()
      const r = spawnSync("tmux", ["-L", sandbox.socket, "list-panes", "-a", "-F", PANE_FORMAT], { encoding: "utf8" })
      const ms = nowMs() - t
      if (r.status !== 0) throw new Error(`tmux list-panes: ${r.stderr}`)
      return ms
    }
    const cpu = []
    const reconcileOnce = async () => {
      const c0 = process.cpuUsage()
      const t = nowMs()
      const report = await rt.run(hub.reconcile)
      const ms = nowMs() - t
      const c = process.cpuUsage(c0)
      cpu.push((c.user + c.system) / 1000)
      if (report.checked !== tasks || report.changed.length !== 0 || report.skipped.length !== 0) {
        throw new Error(`reconcile saw ${report.checked} tasks, changed ${report.changed.length}, skipped ${report.skipped.length}`)
      }
      return ms
    }
    // The part of each pass that follows the attempts' transcripts (issue 13): every started
    // attempt is open while its agent lives, so all 100 are followed.
    const followOnce = async () => {
      const t = nowMs()
      await rt.run(lib.effect.Effect.flatMap(hub.makeProber, hub.followUsage))
      return nowMs() - t
    }
    const statusOnce = async () => {
      const t = nowMs()
      const rows = await rt.run(hub.status)
      const ms = nowMs() - t
      const alive = rows.filter((r) => r.liveness === "alive").length
      if (alive !== tasks) throw new Error(`status: ${alive} of ${tasks} alive`)
      return ms
    }

    // How many tmux calls one pass makes (a shim on PATH counts them; not timed).
    const shimLog = path.join(sandbox.dir, "tmux-calls.log")
    await withPath(countingShim(path.join(sandbox.dir, "shim"), "tmux", shimLog), () => rt.run(hub.reconcile))
    const calls = shimCalls(shimLog)
    log(`  tmux calls in one reconcile pass of ${tasks} tasks: ${calls.length} (${calls.join(", ")})`)

    for (let i = 0; i < 3; i++) {
      rawListPanes()
      await reconcileOnce()
      await statusOnce()
    }
    cpu.length = 0 // the warm-up passes
    const samples = { raw: [], reconcile: [], status: [], follow: [] }
    for (let r = 0; r < rounds; r++) {
      samples.raw.push(rawListPanes())
      samples.reconcile.push(await reconcileOnce())
      samples.status.push(await statusOnce())
      samples.follow.push(await followOnce())
    }

    // The CLI: a process must at least start node and call tmux once.
    const floorScript = `require("child_process").execFileSync("tmux", ["-L", ${JSON.stringify(sandbox.socket)}, "list-panes", "-a", "-F", ${JSON.stringify(PANE_FORMAT)}])`
    const cliFloor = () => {
      const t = nowMs()
      const r = spawnSync(process.execPath, ["-e", floorScript], { env: sandbox.env, stdio: ["ignore", "pipe", "pipe"] })
      const ms = nowMs() - t
      if (r.status !== 0) throw new Error(`node + tmux list-panes: ${r.stderr}`)
      return ms
    }
    const status = timeHub(sandbox, ["status"]).stdout
    const aliveRows = status.split("\n").filter((l) => / alive /.test(l)).length
    if (aliveRows !== tasks) throw new Error(`hub status shows ${aliveRows} alive rows, expected ${tasks}`)
    const cli = { floor: [], reconcile: [], status: [] }
    for (let r = 0; r < cliRounds; r++) {
      cli.floor.push(cliFloor())
      cli.reconcile.push(timeHub(sandbox, ["reconcile"]).ms)
      cli.status.push(timeHub(sandbox, ["status"]).ms)
    }

    const raw = stats(samples.raw)
    const rec = stats(samples.reconcile)
    const floor = stats(cli.floor)
    return [
      figure({
        bench: name,
        measure: `following ${tasks} open attempts' sessions and transcripts (in-process; part of each reconcile pass)`,
        hub: stats(samples.follow),
        reference: rec,
        referenceName: "the whole reconcile pass",
        note: "agents without hooks here (sleep 600): one signals-file look per attempt, no transcript"
      }),
      figure({
        bench: name,
        measure: `reconcile pass, ${tasks} in-progress tasks alive (in-process; ${calls.length} tmux call)`,
        hub: rec,
        reference: raw,
        referenceName: "one tmux list-panes -a",
        aim: { text: "≤ 100 ms", ok: rec.median <= 100 },
        note: `hub's own CPU per pass ${stats(cpu).median.toFixed(1)} ms (the rest is waiting for tmux and for a core)`
      }),
      figure({
        bench: name,
        measure: `status with ${tasks} in-progress tasks (in-process)`,
        hub: stats(samples.status),
        reference: raw,
        referenceName: "one tmux list-panes -a"
      }),
      figure({
        bench: name,
        measure: `hub reconcile (CLI, ${tasks} in-progress tasks)`,
        hub: stats(cli.reconcile),
        reference: floor,
        referenceName: "node -e (one tmux list-panes)"
      }),
      figure({
        bench: name,
        measure: `hub status (CLI, ${tasks} in-progress tasks)`,
        hub: stats(cli.status),
        reference: floor,
        referenceName: "node -e (one tmux list-panes)"
      })
    ]
  } finally {
    await rt.dispose()
    sandbox.dispose()
  }
}
