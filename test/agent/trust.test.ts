import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach } from "vitest"
import { trustKeys } from "../../src/agent/trust.js"

const dirs: Array<string> = []
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})
const tempDir = () => {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "hub-trust-")))
  dirs.push(d)
  return d
}
const git = (cwd: string, ...args: Array<string>) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

/** hub's layout: a bare clone under repos/<owner>, a worktree of it elsewhere. */
const bareCloneWorktree = () => {
  const dir = tempDir()
  const origin = path.join(dir, "origin")
  fs.mkdirSync(origin)
  git(origin, "init", "-q", "-b", "main")
  git(origin, "commit", "-q", "--allow-empty", "-m", "first")
  const bare = path.join(dir, "repos", "acme", "app.git")
  git(dir, "clone", "-q", "--bare", origin, bare)
  const worktree = path.join(dir, "workspaces", "TASK-0001")
  git(bare, "worktree", "add", "-q", "-b", "agent/TASK-0001", worktree, "main")
  return { dir, bare, worktree }
}

describe("trustKeys", () => {
  it("a worktree of a bare clone: the worktree, and the bare clone itself (the canonical root Claude Code derives)", () => {
    const { bare, worktree } = bareCloneWorktree()
    expect(trustKeys(worktree)).toEqual([worktree, bare])
  })

  it("a path through a symlink is trusted by its real path too", () => {
    const { dir, bare, worktree } = bareCloneWorktree()
    const link = path.join(dir, "link")
    fs.symlinkSync(path.dirname(worktree), link)
    const viaLink = path.join(link, "TASK-0001")
    expect(trustKeys(viaLink)).toEqual([viaLink, worktree, bare])
  })

  it("a worktree of a clone with a checkout: the main checkout", () => {
    const dir = tempDir()
    const main = path.join(dir, "main")
    fs.mkdirSync(main)
    git(main, "init", "-q", "-b", "main")
    git(main, "commit", "-q", "--allow-empty", "-m", "first")
    const worktree = path.join(dir, "wt")
    git(main, "worktree", "add", "-q", "-b", "topic", worktree)
    expect(trustKeys(worktree)).toEqual([worktree, main])
  })

  it("a folder that is not a worktree is trusted by itself alone", () => {
    const dir = tempDir()
    expect(trustKeys(dir)).toEqual([dir])
    fs.writeFileSync(path.join(dir, ".git"), "not a gitdir line\n")
    expect(trustKeys(dir)).toEqual([dir])
  })
})
