// 1. CLI cold start: `hub --version` and `hub task list` (1,000 tasks) beside `node -e 0`,
// interleaved in the same run so that machine noise hits all three alike.
import { createTasks, figure, interleave, log, makeSandbox, nodeFloor, sandboxRuntime, stats, timeHub } from "./lib.mjs"

export const name = "startup"
export const description = "bin cold start: hub --version, hub task list (1,000 tasks) vs node -e 0"

export const run = async ({ lib, quick }) => {
  const rounds = quick ? 10 : 30
  const tasks = 1000
  const sandbox = makeSandbox("startup")
  try {
    const rt = sandboxRuntime(lib, sandbox)
    await createTasks(lib, rt, tasks)
    await rt.dispose()

    // The list must show every task: a check that the figure is of real work.
    const listed = timeHub(sandbox, ["task", "list"]).stdout.trim().split("\n").length - 1
    if (listed !== tasks) throw new Error(`hub task list printed ${listed} tasks, expected ${tasks}`)
    // Warm the page cache and the disk: the first start of anything is slower.
    for (let i = 0; i < 3; i++) {
      nodeFloor()
      timeHub(sandbox, ["--version"])
      timeHub(sandbox, ["task", "list"])
    }
    log(`  ${rounds} rounds, interleaved; ${tasks} ready tasks in the list`)
    const [node, version, list] = interleave(rounds, [
      () => nodeFloor(),
      () => timeHub(sandbox, ["--version"]).ms,
      () => timeHub(sandbox, ["task", "list"]).ms
    ]).map(stats)
    return [
      figure({
        bench: name,
        measure: "CLI start: hub --version",
        hub: version,
        reference: node,
        referenceName: "node -e 0",
        aim: { text: "≤ 2.5× node", ok: version.median / node.median <= 2.5 }
      }),
      figure({
        bench: name,
        measure: `CLI start: hub task list (${tasks.toLocaleString("en-US")} tasks)`,
        hub: list,
        reference: node,
        referenceName: "node -e 0",
        aim: { text: "≤ 2.5× node", ok: list.median / node.median <= 2.5 }
      })
    ]
  } finally {
    sandbox.dispose()
  }
}
