// One claiming process for the claims bench: opens the store on HUB_HOME (argv[2]), or on the
// PostgreSQL that HUB_DATABASE_URL names when it is set (the postgres bench), warms up
// (claims that claim nothing), says "ready", waits for "go" on stdin, then calls
// TaskStore.claimNext(cap) until nothing is left to claim. Prints one JSON line: its claims,
// ids, CPU time, and when it started and ended.
import { loadLibrary } from "./lib.mjs"

const [home, capText] = process.argv.slice(2)
const cap = Number(capText)
const { hub, effect } = await loadLibrary()
const { Effect, Layer, ManagedRuntime, Option } = effect
const NodeContext = await import("@effect/platform-node/NodeContext")
const runtime = ManagedRuntime.make(
  hub.TaskStoreLive.pipe(
    Layer.provide(hub.HubConfigFrom({ home, databaseUrl: Option.fromNullable(process.env.HUB_DATABASE_URL || undefined) })),
    Layer.provide(NodeContext.layer)
  )
)
const store = await runtime.runPromise(hub.TaskStore)
const lease = { pid: process.pid, start: "bench" }
const claimAll = Effect.gen(function* () {
  const ids = []
  for (;;) {
    const claimed = yield* store.claimNext(cap, lease, "bench")
    if (Option.isNone(claimed)) return ids
    ids.push(claimed.value.id)
  }
})
// Warm the JIT on the same path with cap 0: the statement runs, its cap check claims nothing.
await runtime.runPromise(Effect.forEach(Array.from({ length: 200 }), () => store.claimNext(0, lease, "bench"), { discard: true }))
process.stdout.write("ready\n")
await new Promise((resolve) => process.stdin.once("data", resolve))
const start = performance.timeOrigin + performance.now()
const cpu0 = process.cpuUsage()
const ids = await runtime.runPromise(claimAll)
const cpu = process.cpuUsage(cpu0)
const end = performance.timeOrigin + performance.now()
// CPU time tells this process's own cost apart from waiting (for the lock, or for a core).
const cpuMs = (cpu.user + cpu.system) / 1000
process.stdout.write(`${JSON.stringify({ pid: process.pid, claims: ids.length, ids, start, end, cpuMs })}\n`)
await runtime.dispose()
process.exit(0)
