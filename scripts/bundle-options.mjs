// The esbuild options of hub's bundled bin, shared by the build and the profiler (which adds a
// source map), so that what is profiled is what ships.
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const stub = path.join(root, "scripts", "stub-parsers.cjs")

/**
 * The bin's two bundles that the launcher (scripts/launcher.cjs) loads through a code cache:
 * the full CLI, and the fast path of the commonest commands, which loads neither @effect/cli
 * nor the services they do not use. (`hub agent hook` has a third, hub-hook.cjs, without
 * Effect: scripts/build.mjs.)
 */
export const BUNDLES = [
  { entry: "main.ts", outfile: "hub-main.cjs" },
  { entry: "fastMain.ts", outfile: "hub-fast.cjs" }
]

/** Options for bundling `src/<entry>` (default: the full CLI's, main.ts) into `outfile`. */
export const bundleOptions = (outfile, entry = "main.ts") => ({
  entryPoints: [path.join(root, "src", entry)],
  outfile,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // A native addon cannot be bundled; it loads from node_modules.
  external: ["better-sqlite3"],
  // @effect/cli's config-file parsers and Schema's test-data generator, never used by hub.
  alias: { yaml: stub, toml: stub, ini: stub, "fast-check": path.join(root, "scripts", "stub-fast-check.cjs") },
  // Short names make the bundle 45 % smaller: less to read and to deserialize at each start.
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: true,
  legalComments: "none",
  logLevel: "warning"
})
