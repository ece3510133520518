import * as fs from "node:fs"
import * as path from "node:path"

/**
 * The folders Claude Code may key a worktree's trust on in `~/.claude.json`. Its docs say "in a
 * worktree, it uses the main checkout's root", which it derives from the git common dir: for a
 * worktree of a bare clone (hub's layout) that is the folder holding the clone
 * (anthropics/claude-code#27994); its exact-match check (a project with hooks or allow rules)
 * keys on the worktree itself. hub trusts both, each also by its real path, so that whichever
 * key a version uses is there. Read from the worktree's `.git` file, without running git.
 */
export const trustKeys = (workspace: string): ReadonlyArray<string> => {
  const keys = [workspace, ...realPath(workspace)]
  const common = commonDir(workspace)
  if (common !== undefined) {
    const root = path.dirname(common)
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
