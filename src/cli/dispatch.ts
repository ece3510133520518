import { Command } from "@effect/cli"
import { Effect, Option } from "effect"
import { keepHostLease } from "../dispatch/hostLease.js"
import { dispatchPass, preflight } from "../dispatch/pass.js"
import { reconcile } from "../dispatch/reconcile.js"
import { jsonOption } from "./options.js"
import { err, json, out, Reported, taskJson } from "./output.js"

export const dispatchCommand = Command.make("dispatch", { json: jsonOption("{started, failed}") }, (o) =>
  Effect.gen(function* () {
    yield* preflight
    // A host without a daemon is up while it dispatches: its lease is kept meanwhile.
    yield* keepHostLease
    yield* reconcile
    const pass = yield* dispatchPass
    if (o.json) {
      yield* json({
        started: pass.started.map((s) => ({
          ...taskJson(s.task),
          window_id: s.window.windowId,
          pane_pid: s.window.panePid,
          workspace: s.workspace,
          session_id: s.sessionId
        })),
        failed: Option.match(pass.failed, {
          onNone: () => null,
          onSome: (e) => ({ id: e.taskId ?? null, step: e.step, error: e.message })
        })
      })
    } else {
      for (const s of pass.started) yield* out(`${s.task.id} started in window ${s.window.windowId} (${s.workspace})`)
      if (pass.started.length === 0 && Option.isNone(pass.failed)) yield* out("nothing to dispatch")
    }
    if (Option.isSome(pass.failed)) {
      const e = pass.failed.value
      yield* err(`hub: ${e.taskId ?? "dispatch"} failed at ${e.step}: ${e.message}`)
      return yield* new Reported({ code: 1 })
    }
  }).pipe(Effect.scoped)).pipe(Command.withDescription("start ready tasks (highest priority first, then oldest; none that waits on another) until HUB_DISPATCH_CAP are in progress on this host"))
