/**
 * Moves the transition table forbids, asked through the CLI: exit 1, one line naming both
 * states, and nothing changed (`task show --json` and `task events --json` are the same
 * before and after, and so is every row of the store).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { makeSandbox, type Sandbox } from "../support/sandbox.js"
import { create, dbSnapshot, ensureBuilt, failsWith, forceStatus, hub, ok, withDb } from "./helpers.js"

beforeAll(ensureBuilt, 180_000)

let sb: Sandbox
const ids = new Map<string, string>()

/** How a task in each status is made: created, then moved the way dispatch would. */
const SETUP: ReadonlyArray<readonly [status: string, path: ReadonlyArray<string>]> = [
  ["backlog", []],
  ["ready", []],
  ["in-progress", ["in-progress"]],
  ["blocked", ["in-progress", "blocked"]],
  ["in-review", ["in-progress", "in-review"]],
  ["done", ["in-progress", "in-review", "done"]],
  ["failed", ["in-progress", "failed"]],
  ["cancelled", ["cancelled"]]
]

beforeAll(async () => {
  sb = makeSandbox("cli-refusals")
  for (const [status, path] of SETUP) {
    const id = await create(sb, status === "backlog" ? ["--status", "backlog"] : [], `a ${status} task`)
    for (const step of path) {
      forceStatus(sb, id, step, { newAttempt: step === "in-progress", ...(step === "failed" ? { error: "boom" } : {}) })
    }
    ids.set(status, id)
  }
  // Each started task has had an agent with a conversation to resume (what `retry --fresh` forgets).
  withDb(sb, (db) => db.prepare("INSERT INTO attempts (task_id, attempt, agent_session_id) SELECT id, attempt, 'conversation' FROM tasks WHERE attempt > 0").run())
})
afterAll(() => sb?.dispose())

type Command = "ready" | "cancel" | "retry" | "retry --fresh" | `report ${string}`

/** A sample of the refused moves of each status, the interesting ones first. */
const REFUSED: ReadonlyArray<readonly [from: string, commands: ReadonlyArray<Command>]> = [
  ["backlog", ["retry", "report done"]],
  ["ready", ["ready", "retry", "report done"]],
  ["in-progress", ["ready", "retry", "retry --fresh", "report ready"]],
  ["blocked", ["retry", "report blocked"]],
  ["in-review", ["retry", "report in-progress"]],
  ["done", ["cancel", "ready", "retry", "retry --fresh", "report in-review"]],
  ["failed", ["ready", "report done"]],
  ["cancelled", ["cancel", "ready", "retry"]]
]

const target = (command: Command) =>
  command === "cancel" ? "cancelled" : command === "ready" || command.startsWith("retry") ? "ready" : command.slice("report ".length)

const argsOf = (command: Command, id: string) =>
  command.startsWith("report ")
    ? ["task", "report", id, "--status", target(command)]
    : command === "retry --fresh" ? ["task", "retry", id, "--fresh"] : ["task", command, id]

describe("refused moves change nothing", () => {
  for (const [from, commands] of REFUSED) {
    it(`a ${from} task refuses: ${commands.join(", ")}`, async () => {
      const id = ids.get(from)!
      const showBefore = ok(await hub(sb, ["task", "show", id, "--json"]))
      const eventsBefore = ok(await hub(sb, ["task", "events", id, "--json"]))
      expect(JSON.parse(showBefore).status).toBe(from)

      for (const command of commands) {
        const before = dbSnapshot(sb)
        // Inside an agent's window too: who asks does not make a forbidden move allowed.
        const vars = command.startsWith("report ") ? { HUB_SESSION_ID: "00000000-0000-5000-8000-000000000000" } : {}
        const r = await hub(sb, argsOf(command, id), vars)
        const message = failsWith(r, 1)
        expect(message, command).toContain(from)
        expect(message, command).toContain(target(command))
        expect(dbSnapshot(sb), `${command} changed the store`).toBe(before)
      }

      expect(ok(await hub(sb, ["task", "show", id, "--json"]))).toBe(showBefore)
      expect(ok(await hub(sb, ["task", "events", id, "--json"]))).toBe(eventsBefore)
    })
  }
})
