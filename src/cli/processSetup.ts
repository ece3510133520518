/** What every start of the bin sets up before a command runs, whichever bundle runs it. */
import * as path from "node:path"

export const setUpProcess = () => {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    // `hub task list | head` closes the pipe early: that is not an error.
    if (error.code === "EPIPE") process.exit(0)
    throw error
  })
  // Agents call `hub` from their windows: the shim next to this bundle goes on their PATH.
  process.env.HUB_BIN_DIR ??= path.join(path.dirname(process.argv[1] ?? "."), "bin")
}
