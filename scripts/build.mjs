// Builds what `npm install` must leave behind: the bundled bin (dist/hub.cjs), the `hub` shim
// agents find on their PATH (dist/bin/hub), and the library with its types (dist/lib).
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { BUNDLES, bundleOptions } from "./bundle-options.mjs"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const dist = path.join(root, "dist")

for (const { entry, outfile } of BUNDLES) await build(bundleOptions(path.join(dist, outfile), entry))
// `hub agent hook` runs on every tool call of an agent: a bundle of its own, without Effect,
// which the launcher requires before anything else (no code cache: it is small).
await build(bundleOptions(path.join(dist, "hub-hook.cjs"), "hook.ts"))

// The bin is a small launcher in front of the bundles (see scripts/launcher.cjs).
const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"))
const launcher = fs.readFileSync(path.join(root, "scripts", "launcher.cjs"), "utf8").replace("__HUB_VERSION__", version)
fs.writeFileSync(path.join(dist, "hub.cjs"), launcher)
const removeCaches = () => {
  for (const { outfile } of BUNDLES) fs.rmSync(path.join(dist, `.${outfile.replace(/\.cjs$/, "")}.v8cache`), { force: true })
}
removeCaches()

fs.mkdirSync(path.join(dist, "bin"), { recursive: true })
const shim = path.join(dist, "bin", "hub")
fs.writeFileSync(shim, `#!/bin/sh\nexec node "$(dirname "$0")/../hub.cjs" "$@"\n`)
fs.chmodSync(shim, 0o755)
fs.chmodSync(path.join(dist, "hub.cjs"), 0o755)

// The launcher keeps V8's code cache of each bundle, written by the first run that finds none.
// Written here from common commands, on a database already migrated, each holds what every
// start needs and not what one `hub dispatch` happened to compile: the fast bundle's from
// `hub task list`, the full CLI's from `hub task events` (the store, @effect/cli, every layer).
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "hub-build-"))
try {
  const env = { PATH: process.env.PATH, HOME: scratch, HUB_HOME: path.join(scratch, "hub"), HUB_TMUX_SOCKET: "hub-build-none" }
  const hub = (...args) => execFileSync(process.execPath, [path.join(dist, "hub.cjs"), ...args], { env, stdio: "ignore" })
  hub("task", "create", "--title", "build")
  removeCaches()
  hub("task", "list")
  hub("task", "events", "TASK-0001")
} catch (error) {
  // A start without the cache is slower, not wrong: the first run writes it then.
  console.warn(`build: the code cache was not written (${error.message})`)
} finally {
  fs.rmSync(scratch, { recursive: true, force: true })
}

if (!process.argv.includes("--bin-only")) {
  execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(root, "tsconfig.build.json")], {
    stdio: "inherit"
  })
}
