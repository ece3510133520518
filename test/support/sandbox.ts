import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

export const ROOT = path.resolve(import.meta.dirname, "..", "..")
export const BIN = path.join(ROOT, "dist", "hub.cjs")

/**
 * A private world for one test: its own HOME, HUB_HOME and tmux server. Nothing a test does
 * reaches the user's ~/.hub, ~/.claude.json or tmux server.
 */
export interface Sandbox {
  readonly dir: string
  readonly home: string
  readonly hubHome: string
  readonly socket: string
  /** The environment a hub process of this sandbox runs with. */
  readonly env: NodeJS.ProcessEnv
  /**
   * Runs the built bin as a user would. Asynchronous: a worker blocked in spawnSync for long
   * on a busy machine misses vitest's RPC deadline.
   */
  readonly hub: (args: ReadonlyArray<string>, extra?: NodeJS.ProcessEnv) => Promise<HubResult>
  readonly tmux: (args: ReadonlyArray<string>) => SpawnSyncReturns<string>
  /** Kills the private tmux server and removes the directory. */
  readonly dispose: () => void
}

export interface HubResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export const makeSandbox = (name = "t"): Sandbox => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hub-${name}-`))
  const home = path.join(dir, "home")
  const hubHome = path.join(dir, "hub")
  fs.mkdirSync(home, { recursive: true })
  const socket = `hub-test-${path.basename(dir)}`
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    HUB_HOME: hubHome,
    HUB_TMUX_SOCKET: socket,
    HUB_TMUX_SESSION: "hub",
    // No test may start the real Claude Code.
    HUB_AGENT_COMMAND: "sleep 600",
    // A daemon under test serves no board unless the test asks (never port 4820).
    HUB_BOARD_PORT: "off",
    LANG: "C.UTF-8"
  }
  const hub = (args: ReadonlyArray<string>, extra: NodeJS.ProcessEnv = {}) =>
    new Promise<HubResult>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extra }, stdio: ["ignore", "pipe", "pipe"] })
      let stdout = ""
      let stderr = ""
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
      const timer = setTimeout(() => child.kill("SIGKILL"), 120_000)
      child.on("error", reject)
      child.on("close", (code) => {
        clearTimeout(timer)
        resolve({ code, stdout, stderr })
      })
    })
  const tmux = (args: ReadonlyArray<string>) => spawnSync("tmux", ["-L", socket, ...args], { encoding: "utf8" })
  const dispose = () => {
    spawnSync("tmux", ["-L", socket, "kill-server"], { encoding: "utf8" })
    // tmux 3.3 leaves its socket file behind.
    fs.rmSync(path.join(process.env.TMUX_TMPDIR ?? "/tmp", `tmux-${process.getuid?.() ?? 0}`, socket), { force: true })
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return { dir, home, hubHome, socket, env, hub, tmux, dispose }
}

/** A repo with one commit on `main`, to be cloned with `hub repo add`. */
export const makeOriginRepo = (dir: string): string => {
  fs.mkdirSync(dir, { recursive: true })
  const git = (...args: Array<string>) =>
    execFileSync("git", args, {
      cwd: dir,
      env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" },
      stdio: "pipe"
    })
  git("init", "-q", "-b", "main")
  fs.writeFileSync(path.join(dir, "README.md"), "# origin\n")
  git("add", "README.md")
  git("commit", "-q", "-m", "initial")
  return dir
}

/** Writes an executable shim (a fake `git` or `tmux`) into `dir`, to be put first on PATH. */
export const writeShim = (dir: string, name: string, script: string): string => {
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, name)
  fs.writeFileSync(file, `#!/bin/sh\n${script}\n`)
  fs.chmodSync(file, 0o755)
  return dir
}

export const realBinary = (name: string): string =>
  execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim()

/** Polls `check` until it holds or `ms` pass. */
export const waitFor = async (check: () => boolean, ms = 10_000, step = 50): Promise<boolean> => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (check()) return true
    await new Promise((r) => setTimeout(r, step))
  }
  return check()
}
