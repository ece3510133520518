// The esbuild options of hub's bundled bin, shared by the build and the profiler (which adds a
// source map), so that what is profiled is what ships.
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const stub = path.join(root, "scripts", "stub-parsers.cjs")
const httpExtras = path.join(root, "scripts", "stub-http-extras.cjs")

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

/**
 * `import text from "./file?raw"`: the file's text, as vite (the tests) reads it. The board's
 * page (HTML, JS, CSS) is bundled so, and served from memory.
 */
const rawText = {
  name: "raw-text",
  setup(build) {
    build.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.slice(0, -"?raw".length)),
      namespace: "raw-text"
    }))
    build.onLoad({ filter: /.*/, namespace: "raw-text" }, (args) => ({
      contents: fs.readFileSync(args.path, "utf8"),
      loader: "text",
      watchFiles: [args.path]
    }))
  }
}

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
  alias: {
    yaml: stub,
    toml: stub,
    ini: stub,
    "fast-check": path.join(root, "scripts", "stub-fast-check.cjs"),
    // The board's HTTP server without what it never uses (see the stub).
    undici: httpExtras,
    ws: httpExtras,
    mime: httpExtras
  },
  // Short names make the bundle 45 % smaller: less to read and to deserialize at each start.
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: true,
  legalComments: "none",
  plugins: [rawText],
  logLevel: "warning"
})
