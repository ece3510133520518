/**
 * The bin entry of the full CLI (hub-main.cjs). `--version` answers before Effect loads;
 * everything else goes to @effect/cli. The commonest commands usually come to fastMain.ts
 * instead (the launcher, scripts/launcher.cjs, chooses).
 */
import { setUpProcess } from "./cli/processSetup.js"
import { VERSION } from "./version.js"

const args = process.argv.slice(2)

setUpProcess()
if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
  process.stdout.write(`${VERSION}\n`)
} else {
  void import("./cli/run.js").then(({ runCli }) => runCli(process.argv))
}
