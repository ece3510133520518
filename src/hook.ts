/**
 * The bin's fast path for `hub agent hook` (bundled alone as dist/hub-hook.cjs): it runs on
 * every tool call of an agent, so it loads neither Effect nor the database.
 */
import { runHook } from "./agent/hook.js"

// Whatever happens, the agent goes on: a hook's exit code other than 0 would be shown to it.
process.on("uncaughtException", (error) => {
  process.stderr.write(`hub agent hook: ${error.message.split("\n")[0]}; ignored\n`)
  process.exit(0)
})

void runHook({
  args: process.argv.slice(4),
  env: process.env,
  stdin: process.stdin,
  warn: (line) => void process.stderr.write(`${line.split("\n")[0]}\n`)
}).finally(() => {
  process.exitCode = 0
})
