/**
 * The bin entry. `--version` answers before Effect loads; everything else goes to the CLI.
 */
import * as path from "node:path"
import { VERSION } from "./version.js"

const args = process.argv.slice(2)

process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  // `hub task list | head` closes the pipe early: that is not an error.
  if (error.code === "EPIPE") process.exit(0)
  throw error
})

if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
  process.stdout.write(`${VERSION}\n`)
} else {
  // Agents call `hub` from their windows: the shim next to this bundle goes on their PATH.
  process.env.HUB_BIN_DIR ??= path.join(path.dirname(process.argv[1] ?? "."), "bin")
  void import("./cli/run.js").then(({ runCli }) => runCli(process.argv))
}
