import { afterEach, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { loadOrCreateToken, tokenFile } from "../../src/board/token.js"

const made: Array<string> = []
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})
const home = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-token-"))
  made.push(dir)
  return path.join(dir, "hub")
}

describe("the board's token", () => {
  it("is made once: 256 random bits in URL-safe characters, 0600 in a new 0700 HUB_HOME, the same on the next start", () => {
    const dir = home()
    const token = loadOrCreateToken(dir)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(token, "base64url")).toHaveLength(32)
    expect(fs.statSync(tokenFile(dir)).mode & 0o777).toBe(0o600)
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    expect(loadOrCreateToken(dir)).toBe(token)
    expect(loadOrCreateToken(home())).not.toBe(token)
    expect(fs.readdirSync(dir)).toEqual(["board-token"])
  })

  it("a file that holds no token is replaced; one made readable by others is made 0600 again", () => {
    const dir = home()
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(tokenFile(dir), "short\n")
    const token = loadOrCreateToken(dir)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(fs.readFileSync(tokenFile(dir), "utf8")).toBe(`${token}\n`)
    fs.chmodSync(tokenFile(dir), 0o644)
    expect(loadOrCreateToken(dir)).toBe(token)
    expect(fs.statSync(tokenFile(dir)).mode & 0o777).toBe(0o600)
  })
})
