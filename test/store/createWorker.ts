/**
 * A child process for the concurrency tests (bundled by esbuild in the test, run with node):
 *   node worker.cjs HUB_HOME NAME COUNT          creates COUNT tasks titled NAME-1 … NAME-COUNT
 *   node worker.cjs HUB_HOME NAME COUNT after    the same, each after the one it made before
 *   node worker.cjs HUB_HOME NAME claim CAP [HOST]  claims ready tasks (cap CAP per host) as HOST
 *                                                 (default: this machine's name) until none is left
 * Opens the store (racing the other workers through the migration), prints `open`, waits for a
 * line on stdin (the start signal, so that every worker writes at the same time), then works,
 * printing each id it created or claimed as it gets it. HUB_DATABASE_URL, if set, names the
 * PostgreSQL store to use instead of SQLite in HUB_HOME.
 */
import { Effect, Layer, Option } from "effect"
import * as os from "node:os"
import * as readline from "node:readline"
import { HubConfigFrom } from "../../src/config.js"
import type { TaskId } from "../../src/domain/TaskId.js"
import { TaskStoreLive } from "../../src/store/Database.js"
import { TaskStore } from "../../src/store/TaskStore.js"

const [home, name, count, mode, hostArg] = process.argv.slice(2)
const HOST = hostArg ?? os.hostname()

const startSignal = Effect.async<void>((resume) => {
  const lines = readline.createInterface({ input: process.stdin })
  lines.once("line", () => {
    lines.close()
    resume(Effect.void)
  })
})

const program = Effect.gen(function* () {
  const store = yield* TaskStore
  process.stdout.write("open\n")
  yield* startSignal
  if (count === "claim") {
    for (;;) {
      const claimed = yield* store.claimNext(Number(mode), { pid: process.pid, start: name! }, HOST)
      if (Option.isNone(claimed)) return
      process.stdout.write(`${claimed.value.id}\n`)
    }
  }
  let previous: TaskId | undefined
  for (let i = 1; i <= Number(count); i++) {
    const task = yield* store.create({
      title: `${name}-${i}`,
      kind: "implement",
      status: "ready",
      description: "",
      repo: null,
      links: [],
      ...(mode === "after" && previous !== undefined ? { after: [previous] } : {})
    })
    previous = task.id
    process.stdout.write(`${task.id}\n`)
  }
}).pipe(Effect.provide(TaskStoreLive.pipe(Layer.provide(HubConfigFrom({ home: home!, databaseUrl: Option.fromNullable(process.env.HUB_DATABASE_URL) })))))

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`worker ${name}: ${String(error)}\n`)
    process.exit(1)
  }
)
