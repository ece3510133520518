// 2. In-process dispatch (claim → live window) through the library's dispatchNext, beside the
// raw floor: a shell script doing the same `git worktree add` + `tmux new-window` directly.
// A third script runs the six commands hub's dispatch ran until commit 60287cc (it now runs
// the floor's two), to show what the four processes it dropped cost. Every iteration starts from the same state: the previous
// window is killed, the task cancelled, the worktree and its branch removed (none of that is
// timed).
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import {
  countingShim,
  figure,
  fmtMs,
  log,
  makeOriginRepo,
  makeSandbox,
  nowMs,
  sandboxRuntime,
  shimCalls,
  spanRecorder,
  stats,
  withPath
} from "./lib.mjs"

export const name = "dispatch"
export const description = "dispatchNext (claim → live window) vs raw git worktree add + tmux new-window"

const REPO = "bench/origin"

// The floor: what any dispatcher must do at the least. `add` is timed, `clean` is not.
const FLOOR_SCRIPT = `#!/bin/sh
set -e
cmd=$1 bare=$2 sock=$3 name=$4 dir=$5
case "$cmd" in
add)
  [ "$6" = fetch ] && git -C "$bare" fetch --quiet --prune origin
  git -C "$bare" worktree add --quiet --no-track -b "agent/$name" "$dir" refs/remotes/origin/HEAD
  tmux -L "$sock" new-window -d -P -F '#{window_id} #{pane_pid}' -t '=hub:' -n "$name" -c "$dir" \\
    -e "HUB_TASK_ID=$name" 'sleep 600' \\; set-option -w -t "=hub:=$name" remain-on-exit on
  ;;
add6)
  # The six commands hub's dispatch ran until 60287cc, one after the other, nothing around them.
  git -C "$bare" rev-parse --verify --quiet "refs/heads/agent/$name" >/dev/null || true
  git -C "$bare" worktree prune
  git -C "$bare" worktree add --quiet --no-track -b "agent/$name" "$dir" refs/remotes/origin/HEAD
  tmux -L "$sock" list-panes -a -F '#{session_name} #{window_name} #{window_id} #{pane_pid} #{pane_dead}' >/dev/null
  tmux -L "$sock" has-session -t '=hub'
  tmux -L "$sock" new-window -d -P -F '#{window_id} #{pane_pid}' -t '=hub:' -n "$name" -c "$dir" \\
    -e "HUB_TASK_ID=$name" 'sleep 600' \\; set-option -w -t "=hub:=$name" remain-on-exit on
  ;;
clean)
  tmux -L "$sock" kill-window -t "$6" || true
  git -C "$bare" worktree remove --force --force "$dir" || true
  git -C "$bare" branch -q -D "agent/$name" || true
  rm -rf "$(dirname "$dir")"
  ;;
esac
`

export const run = async ({ lib, quick }) => {
  const rounds = quick ? 6 : 20
  const { hub, effect } = lib
  const { Effect, Option, Ref } = effect
  const sandbox = makeSandbox("dispatch")
  // The library's own spans say where a dispatch spends its time.
  const spans = spanRecorder(lib)
  const rt = sandboxRuntime(lib, sandbox, { dispatchCap: 1 }, spans.layer)
  const breakdown = []
  try {
    const origin = makeOriginRepo(path.join(sandbox.dir, "origin"))
    const added = sandbox.hub(["repo", "add", REPO, origin])
    if (added.code !== 0) throw new Error(`hub repo add: ${added.stderr}`)
    const bare = path.join(sandbox.hubHome, "repos", `${REPO}.git`)
    const floorScript = path.join(sandbox.dir, "floor.sh")
    fs.writeFileSync(floorScript, FLOOR_SCRIPT, { mode: 0o755 })
    const floorDirs = path.join(sandbox.dir, "floor")

    const git = (...args) => spawnSync("git", ["-C", bare, ...args], { stdio: "ignore" })
    const create = () =>
      rt.run(Effect.flatMap(hub.TaskStore, (s) =>
        s.create({ title: "bench dispatch", kind: "implement", status: "ready", description: "benchmark", repo: REPO, links: [] })))
    // Undo one hub dispatch: cancel (kills the window), then the worktree, branch and folders.
    const undoHub = async (started) => {
      const id = started.task.id
      await rt.run(hub.changeStatus(id, "cancel", "cancelled", { actor: "human", reason: "bench cleanup" }))
      git("worktree", "remove", "--force", "--force", started.workspace)
      git("branch", "-q", "-D", `agent/${id}`)
      fs.rmSync(path.join(sandbox.hubHome, "workspaces", id), { recursive: true, force: true })
      fs.rmSync(path.join(sandbox.hubHome, "runs", id), { recursive: true, force: true })
    }

    // A fetch cache that already holds the repo: a dispatch as the 2nd+ task of a pass does.
    const warmCache = await rt.run(Ref.make(new Set([REPO])))
    // `wrap` surrounds the timed part only (the process-count run puts shims on PATH there).
    const dispatchOnce = async (fetched, wrap = (f) => f(), runtime = rt) => {
      const task = await create()
      const t0 = nowMs()
      const result = await wrap(() => runtime.run(hub.dispatchNext(fetched ? { fetched } : {})))
      const ms = nowMs() - t0
      const recorded = spans.take()
      if (fetched && runtime === rt) breakdown.push(recorded)
      if (Option.isNone(result)) throw new Error(`dispatchNext started nothing (task ${task.id})`)
      const started = result.value
      const pane = sandbox.tmux(["display-message", "-p", "-t", started.window.windowId, "#{pane_dead}"]).stdout.trim()
      if (pane !== "0") throw new Error(`${task.id}: window ${started.window.windowId} is not alive (${pane})`)
      await undoHub(started)
      return ms
    }
    let floorN = 0
    const floorOnce = (fetch, wrap = (f) => f()) => {
      const name = `FLOOR-${String(++floorN).padStart(4, "0")}`
      const dir = path.join(floorDirs, name, "origin")
      fs.mkdirSync(path.dirname(dir), { recursive: true })
      const t0 = nowMs()
      const cmd = fetch === "six" ? "add6" : "add"
      const out = wrap(() => execFileSync(floorScript, [cmd, bare, sandbox.socket, name, dir, fetch === true ? "fetch" : "nofetch"], { encoding: "utf8" }))
      const ms = nowMs() - t0
      const windowId = out.trim().split(" ")[0]
      execFileSync(floorScript, ["clean", bare, sandbox.socket, name, dir, windowId], { stdio: "ignore" })
      return ms
    }

    // Warm-up: starts the tmux server and session, loads git into the page cache.
    for (let i = 0; i < 2; i++) {
      await dispatchOnce(warmCache)
      await dispatchOnce(undefined)
      floorOnce(false)
      floorOnce(true)
      floorOnce("six")
    }

    // The four variants in a rotating order, so that drift hits them alike.
    // The pair with the aim gets `rounds`; the pair with git fetch half as many.
    const samples = { warm: [], cold: [], floor: [], floorFetch: [], six: [] }
    const order = ["warm", "floor", "six", "cold", "floorFetch"]
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < order.length; k++) {
        const which = order[(k + r) % order.length]
        if ((which === "cold" || which === "floorFetch") && r >= Math.ceil(rounds / 2)) continue
        if (which === "warm") samples.warm.push(await dispatchOnce(warmCache))
        else if (which === "cold") samples.cold.push(await dispatchOnce(undefined))
        else if (which === "floor") samples.floor.push(floorOnce(false))
        else if (which === "six") samples.six.push(floorOnce("six"))
        else samples.floorFetch.push(floorOnce(true))
      }
    }

    // The CLI end to end: node start, preflight, reconcile, the pass (fetch included).
    const cliRounds = quick ? 4 : 10
    const cliOnce = async () => {
      const task = await create()
      const t0 = nowMs()
      const r = sandbox.hub(["dispatch", "--json"])
      const ms = nowMs() - t0
      if (r.code !== 0) throw new Error(`hub dispatch exited ${r.code}: ${r.stderr}`)
      const out = JSON.parse(r.stdout)
      const s = out.started[0]
      if (!s || s.id !== task.id) throw new Error(`hub dispatch did not start ${task.id}: ${r.stdout}`)
      await undoHub({ task: { id: s.id }, workspace: s.workspace })
      return ms
    }
    await cliOnce()
    const cli = []
    const cliFloor = []
    for (let i = 0; i < cliRounds; i++) {
      cli.push(await cliOnce())
      cliFloor.push(floorOnce(true))
    }

    // Where a warm dispatch spends its time, by the library's spans (medians).
    breakdown.splice(0, 2) // the two warm-up dispatches
    const spanMedian = (name) => stats(breakdown.map((r) => r.filter((x) => x.name === name).reduce((a, x) => a + x.ms, 0))).median
    const parts = [
      ["claim (TaskStore.claimNext)", spanMedian("TaskStore.claimNext")],
      ["worktree (Workspace.prepare: git worktree add; branch looked up in the ref files)", spanMedian("Workspace.prepare")],
      ["window (Terminal.openWindow: tmux new-window; the session is made only when missing)", spanMedian("Terminal.openWindow")],
      ["commit (TaskStore.commitDispatch)", spanMedian("TaskStore.commitDispatch")]
    ]
    const whole = spanMedian("Dispatch.next")
    log(`  where a warm dispatch's time goes (span medians of ${breakdown.length}; whole Dispatch.next ${fmtMs(whole)}):`)
    for (const [label, ms] of parts) log(`      ${fmtMs(ms).padStart(9)}  ${label}`)
    log(`      ${fmtMs(whole - parts.reduce((a, [, ms]) => a + ms, 0)).padStart(9)}  the rest (run folder and prompts, store.get, Effect; a stale-window probe on attempts > 1)`)

    // Which processes one dispatch runs, beside the floor's (shims on PATH log them; not timed).
    const shimDir = path.join(sandbox.dir, "shim")
    const hubLog = path.join(sandbox.dir, "hub-calls.log")
    const floorLog = path.join(sandbox.dir, "floor-calls.log")
    countingShim(shimDir, "git", hubLog)
    countingShim(shimDir, "tmux", hubLog)
    // A runtime made with the shims on PATH: the agent's PATH (taken when the layer is
    // built) is what tmux new-window is spawned with.
    const counted = await withPath(shimDir, async () => {
      const rt2 = sandboxRuntime(lib, sandbox, { dispatchCap: 1 })
      await rt2.run(hub.TaskStore)
      return rt2
    })
    await dispatchOnce(warmCache, (f) => withPath(shimDir, f), counted)
    await counted.dispose()
    countingShim(shimDir, "git", floorLog)
    countingShim(shimDir, "tmux", floorLog)
    floorOnce(false, (f) => {
      const saved = process.env.PATH
      process.env.PATH = `${shimDir}:${saved}`
      try {
        return f()
      } finally {
        process.env.PATH = saved
      }
    })
    const hubCalls = shimCalls(hubLog)
    const floorCalls = shimCalls(floorLog)
    log(`  processes per dispatch: hub ${hubCalls.length} (${hubCalls.join(", ")}); floor ${floorCalls.length} (${floorCalls.join(", ")})`)

    // Nothing may be left behind by the iterations.
    const windows = sandbox.tmux(["list-windows", "-t", "=hub", "-F", "#{window_name}"]).stdout.trim().split("\n").filter((w) => w !== "hub" && w !== "")
    const worktrees = execFileSync("git", ["-C", bare, "worktree", "list", "--porcelain"], { encoding: "utf8" }).split("\n").filter((l) => l.startsWith("worktree ")).length - 1
    log(`  ${rounds} rounds (${Math.ceil(rounds / 2)} with fetch), interleaved; after the run: ${windows.length} task windows, ${worktrees} worktrees left`)

    const warm = stats(samples.warm)
    const cold = stats(samples.cold)
    const floor = stats(samples.floor)
    const floorFetch = stats(samples.floorFetch)
    return [
      figure({
        bench: name,
        measure: "in-process dispatch, claim → live window (fetch already done in the pass)",
        hub: warm,
        reference: floor,
        referenceName: "sh: git worktree add + tmux new-window",
        aim: { text: "≤ 1.5× floor", ok: warm.median / floor.median <= 1.5 }
      }),
      figure({
        bench: name,
        measure: "sh running the six commands hub's dispatch ran before 60287cc (it now runs the floor's two)",
        hub: stats(samples.six),
        reference: floor,
        referenceName: "sh: git worktree add + tmux new-window",
        note: "what the four processes hub no longer runs would cost"
      }),
      figure({
        bench: name,
        measure: "in-process dispatch including git fetch (first task of a pass)",
        hub: cold,
        reference: floorFetch,
        referenceName: "sh: git fetch + worktree add + tmux new-window",
        aim: { text: "≤ 1.5× floor", ok: cold.median / floorFetch.median <= 1.5 }
      }),
      figure({
        bench: name,
        measure: "hub dispatch (CLI process: start, preflight, reconcile, one task)",
        hub: stats(cli),
        reference: stats(cliFloor),
        referenceName: "sh: git fetch + worktree add + tmux new-window",
        note: "no aim; shows what a person typing `hub dispatch` waits for"
      })
    ]
  } finally {
    await rt.dispose()
    sandbox.dispose()
  }
}
