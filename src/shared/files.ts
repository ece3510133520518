/**
 * hub's own files hold task text, prompts and agent state: what hub creates under HUB_HOME is
 * for its owner only (directories 0700, files 0600), whatever the process umask says. The
 * modes are set explicitly after creation, since `mkdir`/`open` modes pass through the umask.
 * What exists already keeps the mode its owner gave it, unless said otherwise below.
 */
import * as fs from "node:fs"
import * as path from "node:path"

export const PRIVATE_DIR = 0o700
export const PRIVATE_FILE = 0o600

const code = (error: unknown) => (error as NodeJS.ErrnoException).code

/**
 * Makes `dir` if it is missing: it and every missing directory between it and `root` (an
 * ancestor, or `dir` itself) are 0700; missing ones above `root` get the umask's default.
 * An existing directory is left as it is.
 */
export const makePrivateDir = (dir: string, root: string = dir): void => {
  if (fs.existsSync(dir)) return
  const parent = path.dirname(dir)
  if (dir === root || parent === dir) fs.mkdirSync(parent, { recursive: true })
  else makePrivateDir(parent, root)
  try {
    fs.mkdirSync(dir, { mode: PRIVATE_DIR })
  } catch (error) {
    // Another process made it meanwhile (and sets its mode itself).
    if (code(error) === "EEXIST") return
    throw error
  }
  fs.chmodSync(dir, PRIVATE_DIR)
}

/** Creates `file` empty and 0600 unless it exists; true when this call created it. */
export const createPrivateFile = (file: string): boolean => {
  let fd: number
  try {
    fd = fs.openSync(file, "wx", PRIVATE_FILE)
  } catch (error) {
    if (code(error) === "EEXIST") return false
    throw error
  }
  try {
    fs.fchmodSync(fd, PRIVATE_FILE)
  } finally {
    fs.closeSync(fd)
  }
  return true
}

/** Writes `file` with `text`, 0600 (an existing file of hub's is made 0600 too). */
export const writePrivateFile = (file: string, text: string): void => {
  const fd = fs.openSync(file, "w", PRIVATE_FILE)
  try {
    fs.fchmodSync(fd, PRIVATE_FILE)
    fs.writeFileSync(fd, text)
  } finally {
    fs.closeSync(fd)
  }
}
