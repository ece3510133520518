import { Effect } from "effect"

/**
 * A filesystem call whose error (EACCES, ENOSPC, …) is a typed failure of the step that made
 * it, with the system's one-line message, never a defect.
 */
export const tryFs = <A, E>(run: () => A, fail: (message: string) => E): Effect.Effect<A, E> =>
  Effect.try({ try: run, catch: (error) => fail(error instanceof Error ? error.message : String(error)) })
