import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { makePrivateDir, PRIVATE_FILE, writePrivateFile } from "../shared/files.js"

/** The board's secret: 32 random bytes in base64url (256 bits, URL-safe characters only). */
const TOKEN = /^[A-Za-z0-9_-]{22,}$/

export const tokenFile = (home: string) => path.join(home, "board-token")

const readToken = (file: string): string | undefined => {
  try {
    const text = fs.readFileSync(file, "utf8").trim()
    return TOKEN.test(text) ? text : undefined
  } catch {
    return undefined
  }
}

/**
 * The board's token, kept in `$HUB_HOME/board-token` (0600) so that a bookmark outlives a
 * restart: read when the file holds one, else made. The file appears whole (a hard link of a
 * finished temp file), so two boards starting at once agree on one token.
 */
export const loadOrCreateToken = (home: string): string => {
  makePrivateDir(home)
  const file = tokenFile(home)
  const existing = readToken(file)
  if (existing !== undefined) {
    fs.chmodSync(file, PRIVATE_FILE)
    return existing
  }
  const token = randomBytes(32).toString("base64url")
  const tmp = `${file}.${process.pid}.tmp`
  writePrivateFile(tmp, `${token}\n`)
  try {
    fs.linkSync(tmp, file)
    return token
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
    // Another board was first, or the file holds no token: keep a good one, else replace it.
    const raced = readToken(file)
    if (raced !== undefined) return raced
    fs.renameSync(tmp, file)
    return token
  } finally {
    fs.rmSync(tmp, { force: true })
  }
}
