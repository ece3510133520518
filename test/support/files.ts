import { Effect } from "effect"
import * as fs from "node:fs"

/** The permission bits of a file or directory (not following a symlink at the end). */
export const modeOf = (file: string): number => fs.lstatSync(file).mode & 0o777

/**
 * The process umask set to `mask` for the scope: hub must not rely on it, so its tests run
 * with the most permissive one (000). Test files run one at a time in a worker process.
 */
export const withUmask = (mask: number) =>
  Effect.acquireRelease(
    Effect.sync(() => process.umask(mask)),
    (previous) => Effect.sync(() => void process.umask(previous))
  )
