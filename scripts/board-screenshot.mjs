#!/usr/bin/env node
// The README's picture of the board: a private sandbox (HOME, HUB_HOME, tmux server) with a
// few tasks in several statuses and one live agent printing into its pane, `hub board --port 0`,
// and headless Chromium (Debian's, through playwright-core) taking the screenshot with the
// agent's task open. Writes docs/board.png (or the path given).
//
//   node scripts/board-screenshot.mjs [OUT.png]
import { execFileSync, spawn, spawnSync } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { chromium } from "playwright-core"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const bin = path.join(root, "dist", "hub.cjs")
const out = path.resolve(process.argv[2] ?? path.join(root, "docs", "board.png"))
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-screenshot-"))
const socket = `hub-shot-${crypto.randomBytes(4).toString("hex")}`
const env = {
  PATH: process.env.PATH,
  HOME: path.join(dir, "home"),
  HUB_HOME: path.join(dir, "hub"),
  HUB_TMUX_SOCKET: socket,
  HUB_BOARD_PORT: "off",
  // Never the real Claude Code: the one agent below is a script.
  HUB_AGENT_COMMAND: "sleep 600",
  LANG: "C.UTF-8"
}
fs.mkdirSync(env.HOME, { recursive: true })
const hub = (...args) => execFileSync(process.execPath, [bin, ...args], { env, encoding: "utf8" }).trim()
const git = (cwd, ...args) =>
  execFileSync("git", args, { cwd, env: { ...env, GIT_AUTHOR_NAME: "you", GIT_AUTHOR_EMAIL: "you@example.com", GIT_COMMITTER_NAME: "you", GIT_COMMITTER_EMAIL: "you@example.com" } })

let board
try {
  const origin = path.join(dir, "origin")
  fs.mkdirSync(path.join(origin, "src"), { recursive: true })
  git(origin, "init", "-q", "-b", "main")
  fs.writeFileSync(path.join(origin, "src", "login.ts"), "export const login = () => true\n")
  git(origin, "add", ".")
  git(origin, "commit", "-qm", "initial")
  hub("repo", "add", "acme/widget", origin)

  const agent = [
    "printf '\\033[1mClaude Code\\033[0m  working on %s\\n\\n' \"$HUB_TASK_ID\"",
    "printf '> Reading src/login.ts\\n> The test fails when the session cookie expires mid-request.\\n'",
    "printf 'export const login = (session) => session.valid && !session.expired\\n' > src/login.ts",
    "printf 'test: expiry\\n' > src/login.test.ts",
    "git add -A && git -c user.name=agent -c user.email=agent@example.com commit -qm 'Fix the flaky login test'",
    "printf '> Edited src/login.ts, added src/login.test.ts, committed.\\n> Running the test suite: 42 passed.\\n'",
    "sleep 600"
  ].join("; ")
  hub("task", "create", "--title", "Fix the flaky login test", "--repo", "acme/widget", "--kind", "debug",
    "--description", "The login test fails about one run in ten on CI; find out why and fix it.",
    "--link", "https://github.com/acme/widget/issues/17")
  execFileSync(process.execPath, [bin, "dispatch"], { env: { ...env, HUB_AGENT_COMMAND: agent } })
  hub("task", "create", "--title", "Review the retry logic in the HTTP client", "--repo", "acme/widget", "--kind", "review")
  hub("task", "create", "--title", "Add a dark mode to the settings page", "--repo", "acme/widget")
  hub("task", "create", "--title", "Upgrade the build to Node 22", "--status", "backlog")
  hub("task", "create", "--title", "Document the plugin API", "--status", "backlog")
  const done = hub("task", "create", "--title", "Remove the unused feature flags", "--repo", "acme/widget")
  hub("task", "cancel", done)
  hub("task", "comment", "1", "--content", "It only fails when the CI machine is slow: look at the cookie expiry.", "--author", "human")

  board = spawn(process.execPath, [bin, "board", "--port", "0"], { env, stdio: ["ignore", "pipe", "inherit"] })
  const url = await new Promise((resolve) => {
    let text = ""
    board.stdout.setEncoding("utf8").on("data", (d) => {
      text += d
      if (text.includes("\n")) resolve(text.split("\n")[0])
    })
  })
  const browser = await chromium.launch({ executablePath: process.env.HUB_TEST_CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] })
  try {
    const page = await browser.newPage({ viewport: { width: 1920, height: 900 }, deviceScaleFactor: 1 })
    await page.goto(url)
    await page.waitForSelector('[data-task-id="TASK-0001"][data-status="in-progress"]')
    await page.click('[data-task-id="TASK-0001"]')
    await page.waitForFunction(() => document.querySelector("[data-pane]")?.textContent?.includes("42 passed"), null, { timeout: 30_000 })
    await page.waitForFunction(() => document.querySelector("[data-diff]")?.textContent?.includes("login"), null, { timeout: 30_000 })
    fs.mkdirSync(path.dirname(out), { recursive: true })
    await page.screenshot({ path: out })
    console.log(`wrote ${path.relative(process.cwd(), out)}`)
  } finally {
    await browser.close()
  }
} finally {
  board?.kill("SIGTERM")
  spawnSync("tmux", ["-L", socket, "kill-server"], { stdio: "ignore" })
  fs.rmSync(dir, { recursive: true, force: true })
}
