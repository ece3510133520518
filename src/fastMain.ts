/**
 * The bin entry of the fast path (hub-fast.cjs): `hub task list|show|get|create` in their
 * plain forms (cli/fastArgs.ts), on the store alone. Deciding loads nothing; a command line
 * the full CLI would refuse before parsing is refused here in its words (cli/argv.ts); one it
 * declines is marked `declined` and the launcher hands it to the full CLI (hub-main.cjs).
 */
import { refuse } from "./cli/argv.js"
import { parseFast } from "./cli/fastArgs.js"
import { setUpProcess } from "./cli/processSetup.js"

/**
 * A queue on PostgreSQL (HUB_DATABASE_URL) goes to the full CLI: this bundle opens SQLite only
 * (docs/PERFORMANCE.md has what the full CLI costs instead).
 */
const onPostgres = (process.env.HUB_DATABASE_URL ?? "").trim() !== ""

const command = onPostgres ? undefined : parseFast(process.argv)

export const declined = command === undefined

if (command !== undefined) {
  setUpProcess()
  if (command.command === "refused") refuse(command.refusal)
  else void import("./cli/fast.js").then(({ runFast }) => runFast(command))
}
