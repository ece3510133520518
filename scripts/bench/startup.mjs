// 1. CLI cold start: `hub --version`, `hub task list` (1,000 tasks), `hub task show` and
// `hub task create` beside `node -e 0` and beside the floor (floor-list.cjs: better-sqlite3 on
// the same database, the same query, the same table), all interleaved in the same run so
// that machine noise hits them alike; then the peak memory (max RSS) of each.
import * as fs from "node:fs"
import * as path from "node:path"
import { BIN, createTasks, figure, interleave, log, makeSandbox, nodeFloor, peakRss, ROOT, sandboxRuntime, stats, timeHub, timeNode } from "./lib.mjs"

export const name = "startup"
export const description = "bin cold start: hub --version, task list (1,000 tasks), show, create vs node -e 0 and the floor"

const FLOOR = path.join(ROOT, "scripts", "bench", "floor-list.cjs")
const AIM_RATIO = 1.6
const AIM_MIB = 60

export const run = async ({ lib, quick }) => {
  const rounds = quick ? 10 : 30
  const memoryRounds = quick ? 3 : 5
  const tasks = 1000
  const sandbox = makeSandbox("startup")
  // `task create` writes: it runs on a copy of the same database, so the list stays at 1,000.
  const writes = makeSandbox("startup-create")
  try {
    const rt = sandboxRuntime(lib, sandbox)
    await createTasks(lib, rt, tasks)
    await rt.dispose()
    fs.mkdirSync(writes.hubHome, { recursive: true })
    fs.copyFileSync(path.join(sandbox.hubHome, "hub.db"), path.join(writes.hubHome, "hub.db"))

    // The list must show every task, and the floor must print what hub prints: a check that
    // both figures are of the same real work.
    const listed = timeHub(sandbox, ["task", "list"]).stdout
    const rows = listed.trim().split("\n").length - 1
    if (rows !== tasks) throw new Error(`hub task list printed ${rows} tasks, expected ${tasks}`)
    if (timeNode(sandbox, [FLOOR]).stdout !== listed) throw new Error("the floor script does not print what hub task list prints")
    const show = ["task", "show", "TASK-0500"]
    const create = ["task", "create", "--title", "bench create"]

    const runs = [
      ["node -e 0", () => nodeFloor(sandbox), ["-e", "0"], sandbox],
      ["floor", () => timeNode(sandbox, [FLOOR]).ms, [FLOOR], sandbox],
      ["--version", () => timeHub(sandbox, ["--version"]).ms, [BIN, "--version"], sandbox],
      ["list", () => timeHub(sandbox, ["task", "list"]).ms, [BIN, "task", "list"], sandbox],
      ["show", () => timeHub(sandbox, show).ms, [BIN, ...show], sandbox],
      ["create", () => timeHub(writes, create).ms, [BIN, ...create], writes]
    ]
    // Warm the page cache and the disk: the first start of anything is slower.
    for (let i = 0; i < 3; i++) for (const [, time] of runs) time()
    log(`  ${rounds} rounds, interleaved; ${tasks} ready tasks in the list; then ${memoryRounds} rounds of peak RSS`)
    const [node, floor, version, list, shown, created] = interleave(rounds, runs.map(([, time]) => time)).map(stats)
    const peaks = interleave(memoryRounds, runs.map(([, , args, box]) => () => peakRss(args, box.env))).map(stats)
    const [nodeMiB, floorMiB, versionMiB, ...hubMiB] = peaks.map((s) => s.median)
    log(`  peak RSS (median): node -e 0 ${nodeMiB.toFixed(1)} MiB, floor ${floorMiB.toFixed(1)} MiB, hub --version ${versionMiB.toFixed(1)} MiB`)
    log(`  the floor itself: ${(floor.median / node.median).toFixed(2)}× node -e 0`)

    const versus = (measure, hub, mib) => {
      const ratio = hub.median / node.median
      return figure({
        bench: name,
        measure,
        hub,
        reference: node,
        referenceName: "node -e 0",
        aim: {
          text: `≤ ${AIM_RATIO}× node, ≤ ${AIM_MIB} MiB`,
          ok: ratio <= AIM_RATIO && mib <= AIM_MIB
        },
        note: `${(hub.median / floor.median).toFixed(2)}× the floor (${floor.median.toFixed(1)} ms); peak RSS ${mib.toFixed(1)} MiB`
      })
    }
    return [
      figure({
        bench: name,
        measure: "CLI start: hub --version",
        hub: version,
        reference: node,
        referenceName: "node -e 0",
        aim: { text: "≤ 2.5× node", ok: version.median / node.median <= 2.5 },
        note: `peak RSS ${versionMiB.toFixed(1)} MiB`
      }),
      figure({
        bench: name,
        measure: "floor: better-sqlite3, the same query and table (floor-list.cjs)",
        hub: floor,
        reference: node,
        referenceName: "node -e 0",
        note: `peak RSS ${floorMiB.toFixed(1)} MiB`
      }),
      versus(`CLI start: hub task list (${tasks.toLocaleString("en-US")} tasks)`, list, hubMiB[0]),
      versus("CLI start: hub task show", shown, hubMiB[1]),
      versus("CLI start: hub task create", created, hubMiB[2])
    ]
  } finally {
    sandbox.dispose()
    writes.dispose()
  }
}
