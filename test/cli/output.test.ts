/**
 * The bin as a process: `hub --version`, `hub task list | head -1` with many tasks, where
 * the reader goes away early (EPIPE on stdout is a quiet exit, not an error), and task text
 * that holds terminal control characters.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { BIN, makeSandbox, ROOT, type Sandbox } from "../support/sandbox.js"
import { bulkInsert, create, ensureBuilt, hub, ok, runProgram } from "./helpers.js"

beforeAll(ensureBuilt, 180_000)

describe("hub --version", () => {
  let sb: Sandbox
  beforeAll(() => {
    sb = makeSandbox("cli-version")
  })
  afterAll(() => sb?.dispose())

  it("prints package.json's version alone and exits 0", async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }
    expect(ok(await hub(sb, ["--version"]))).toBe(`${version}\n`)
  })
})

describe("a reader that stops early", () => {
  let sb: Sandbox
  const COUNT = 3000
  beforeAll(async () => {
    sb = makeSandbox("cli-epipe")
    await create(sb, [], "the first task")
    // Far more output than a pipe holds (64 KiB), so the writer is still writing when the
    // reader leaves: ~100 bytes a row in the table, ~700 in JSON.
    bulkInsert(sb, COUNT, (n) => `bulk task number ${n} with a title long enough to make the listing big`)
  }, 60_000)
  afterAll(() => sb?.dispose())

  /** Spawns `hub ARGS`, takes the first chunk of stdout, then closes the pipe. */
  const readFirstChunkThenClose = (args: ReadonlyArray<string>) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null; first: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: sb.dir, env: sb.env, stdio: ["ignore", "pipe", "pipe"] })
      let first = ""
      let stderr = ""
      child.stdout.once("data", (chunk: Buffer) => {
        first = chunk.toString("utf8")
        child.stdout.destroy()
      })
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
      child.on("error", reject)
      child.on("close", (code, signal) => resolve({ code, signal, first, stderr }))
    })

  it("hub task list: exit 0, nothing on stderr", async () => {
    const r = await readFirstChunkThenClose(["task", "list"])
    expect(r.first).toMatch(/^ID\s+STATUS/)
    expect(r).toMatchObject({ code: 0, signal: null, stderr: "" })
  })

  it("hub task list --json --all: exit 0, nothing on stderr", async () => {
    const r = await readFirstChunkThenClose(["task", "list", "--json", "--all"])
    expect(r.first.startsWith("[")).toBe(true)
    expect(r).toMatchObject({ code: 0, signal: null, stderr: "" })
  })

  it("in a shell: hub task list | head -1", async () => {
    const rcFile = path.join(sb.dir, "rc")
    const errFile = path.join(sb.dir, "err")
    const script = `{ "$NODE" "$BIN" task list 2>"$ERR_FILE"; echo $? >"$RC_FILE"; } | head -1`
    const r = await runProgram("sh", ["-c", script], {
      cwd: sb.dir,
      env: { ...sb.env, NODE: process.execPath, BIN, ERR_FILE: errFile, RC_FILE: rcFile }
    })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^ID\s+STATUS\s+PRIORITY\s+KIND\s+REPO\s+TITLE\n$/)
    expect(r.stderr).toBe("")
    expect(fs.readFileSync(errFile, "utf8")).toBe("")
    expect(fs.readFileSync(rcFile, "utf8").trim()).toBe("0")
  })
})

describe("task text with control characters", () => {
  let sb: Sandbox
  beforeAll(() => {
    sb = makeSandbox("cli-control")
  })
  afterAll(() => sb?.dispose())

  const title = "\u001b[31mred\u001b[0m, a bell\u0007, a return\r, a CSI \u009b2J"
  const description = "line one\n\u001b]0;a window title\u0007\ttabbed"

  it("is printed escaped in text, never as control characters; JSON keeps it exact", async () => {
    const id = ok(await hub(sb, ["task", "create", "--title", title, "--description", description])).trim()
    ok(await hub(sb, ["task", "comment", id, "--content", "\u001b[2Jcleared?"]))
    const outputs = [
      ok(await hub(sb, ["task", "list"])),
      ok(await hub(sb, ["task", "show", id])),
      ok(await hub(sb, ["task", "list", "--json"])),
      ok(await hub(sb, ["task", "show", id, "--json"]))
    ]
    for (const output of outputs) expect(output).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
    // A table's title is one line (its white space, the return too, folded into spaces).
    expect(outputs[0]).toContain("\\u001b[31mred\\u001b[0m, a bell\\u0007, a return , a CSI \\u009b2J")
    expect(outputs[1]).toContain("\\u001b]0;a window title\\u0007\ttabbed")
    expect(outputs[1]).toContain("\\u001b[2Jcleared?")
    const shown = JSON.parse(outputs[3]!) as { title: string; description: string; comments: Array<{ text: string }> }
    expect(shown).toMatchObject({ title, description })
    expect(shown.comments[0]!.text).toBe("\u001b[2Jcleared?")
    expect((JSON.parse(outputs[2]!) as Array<{ title: string }>)[0]!.title).toBe(title)
  })
})
