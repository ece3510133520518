/**
 * Seeds a sandbox's store through the library (the same TaskStore the bin uses), in-process:
 * integration tests that need many ready tasks should not pay a bin start for each.
 */
import { Effect, Layer } from "effect"
import { TaskStoreLive } from "../../src/store/Database.js"
import { TaskStore } from "../../src/store/TaskStore.js"
import { sandboxConfig } from "./layers.js"
import type { Sandbox } from "./sandbox.js"

/** Creates ready tasks in order (ids ascending), optionally in `repo`; returns their ids. */
export const seedTasks = (sandbox: Sandbox, titles: ReadonlyArray<string>, repo?: string): Promise<Array<string>> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* TaskStore
      return yield* Effect.forEach(titles, (title) =>
        store.create({ title, kind: "implement", status: "ready", description: "", repo: repo ?? null, links: [] }).pipe(
          Effect.map((t) => t.id as string)
        ))
    }).pipe(Effect.provide(TaskStoreLive.pipe(Layer.provide(sandboxConfig(sandbox)))))
  )
