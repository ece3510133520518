import * as fs from "node:fs"
import * as path from "node:path"

/**
 * The folders Claude Code keys a worktree's trust on in `~/.claude.json`, as read in the bundle of
 * Claude Code 2.1.332 (docs/CLAUDE-CODE.md): the trust check takes the "canonical root" or walks
 * up from the folder to its git root (the worktree), and the checks of project settings and MCP
 * servers take the canonical root alone. The canonical root of a linked worktree is found through
 * its `.git` file and the common dir: the main checkout when that dir is named `.git`, the common
 * dir itself for a bare clone (hub's layout). hub trusts both, each also by its real path.
 */
export const trustKeys = (workspace: string): ReadonlyArray<string> => {
  const keys = [workspace, ...realPath(workspace)]
  const common = commonDir(workspace)
  if (common !== undefined) {
    const root = path.basename(common) === ".git" ? path.dirname(common) : common
    keys.push(root, ...realPath(root))
  }
  return [...new Set(keys)]
}

const realPath = (p: string): Array<string> => {
  try {
    return [fs.realpathSync(p)]
  } catch {
    return []
  }
}

/** `<worktree>/.git` says `gitdir: <repo>/worktrees/<name>`, whose `commondir` names the repo. */
const commonDir = (workspace: string): string | undefined => {
  try {
    const gitdir = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(path.join(workspace, ".git"), "utf8"))?.[1]?.trim()
    if (gitdir === undefined) return undefined
    const dir = path.resolve(workspace, gitdir)
    return path.resolve(dir, fs.readFileSync(path.join(dir, "commondir"), "utf8").trim())
  } catch {
    return undefined
  }
}
