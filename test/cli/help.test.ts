/**
 * What a user meets first: `--help` of every command, in a pipe and on a terminal, and the
 * completion scripts. Help carries no escape codes unless stdout is a terminal and NO_COLOR is
 * unset; every option and argument says what it means; the fixed choices (--kind, --status,
 * --priority, --author) are listed in help and completed by the shells.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { BIN, makeSandbox, type Sandbox } from "../support/sandbox.js"
import { ensureBuilt, hub, ok, runProgram } from "./helpers.js"

beforeAll(ensureBuilt, 180_000)

let sb: Sandbox
beforeAll(() => {
  sb = makeSandbox("cli-help")
})
afterAll(() => sb?.dispose())

const COMMANDS = [
  "", "task", "task create", "task list", "task show", "task get", "task edit", "task ready", "task cancel", "task retry",
  "task report", "task comment", "task link", "task events", "repo", "repo add", "repo list",
  "dispatch", "reconcile", "status", "verify", "reap", "cleanup", "daemon", "board", "agent", "agent hook", "db", "db copy"
] as const

const words = (command: string) => command.split(" ").filter((w) => w !== "")
const help = async (command: string, env: NodeJS.ProcessEnv = {}) => ok(await hub(sb, [...words(command), "--help"], env))

/** @effect/cli's sentences about an option's type, which say nothing about the option. */
const TYPE_SENTENCE = /A user-defined piece of text|A true or false value|^\s*An integer\.|A floating point number/m

/** Paragraphs @effect/cli adds to every option that do not say what it means. */
const BOILERPLATE = /^(One of the following: .*|This setting is optional\..*|This option may be repeated .*)$/

/** Each option or argument of a help text, with the paragraphs below it. */
const entries = (text: string): Array<{ readonly heading: string; readonly paragraphs: Array<string> }> => {
  const found: Array<{ heading: string; paragraphs: Array<string> }> = []
  let section = ""
  for (const line of text.split("\n")) {
    if (/^[A-Z]+$/.test(line)) section = line
    else if (section !== "ARGUMENTS" && section !== "OPTIONS") continue
    else if (/^(--|<|\(-)/.test(line)) found.push({ heading: line, paragraphs: [] })
    else if (line.trim() !== "") found.at(-1)?.paragraphs.push(line.trim())
  }
  return found
}

/** The values help lists for an option: `--kind implement | review | debug`. */
const listed = (text: string, option: string): Array<string> => {
  const heading = entries(text).find((e) => e.heading.startsWith(`${option} `))
  expect(heading, `${option} in help`).toBeDefined()
  // A repeatable option's values end in `...`.
  return heading!.heading.slice(option.length + 1).replace(/\.\.\.$/, "").split(" | ")
}

describe("help in a pipe (stdout not a terminal)", () => {
  it("hub --help lists every command", async () => {
    const listedCommands = (await help("")).split("\n")
      .filter((l) => l.startsWith("  - "))
      .map((l) => {
        // Usage, two spaces or more, description; a command's words stop at its first option.
        const usage = l.slice(4).split(/\s{2,}/)[0]!.split(" ")
        const end = usage.findIndex((w) => !/^[a-z]+$/.test(w))
        return usage.slice(0, end === -1 ? usage.length : end).join(" ")
      })
    expect(listedCommands).toEqual(COMMANDS.filter((c) => c !== ""))
  })

  for (const command of COMMANDS) {
    it(`hub ${command} --help: no escape codes, and every option and argument says what it means`, async () => {
      const text = await help(command)
      expect(text).toMatch(/USAGE/)
      expect(text).not.toContain("\u001b")
      expect(text).not.toMatch(TYPE_SENTENCE)
      for (const entry of entries(text)) {
        const meaning = entry.paragraphs.filter((p) => !BOILERPLATE.test(p))
        expect(meaning, `${entry.heading} in hub ${command} --help`).not.toEqual([])
      }
    })
  }

  it("lists the choices of --kind, --status, --priority and --author, per command", async () => {
    expect(listed(await help("task create"), "--kind")).toEqual(["implement", "review", "debug"])
    expect(listed(await help("task create"), "--status")).toEqual(["ready", "backlog"])
    expect(listed(await help("task create"), "--priority")).toEqual(["high", "normal", "low"])
    expect(listed(await help("task edit"), "--priority")).toEqual(["high", "normal", "low"])
    expect(listed(await help("task list"), "--status")).toEqual([
      "backlog", "ready", "in-progress", "blocked", "in-review", "done", "failed", "cancelled"
    ])
    expect(listed(await help("task report"), "--status")).toEqual(["in-progress", "blocked", "in-review", "done", "failed"])
    expect(listed(await help("task comment"), "--author")).toEqual(["human", "agent"])
  })

  it("written to a file: no escape codes", async () => {
    const file = path.join(sb.dir, "help.txt")
    const fd = fs.openSync(file, "w")
    try {
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, "task", "create", "--help"], { env: sb.env, stdio: ["ignore", fd, "pipe"] })
        child.on("error", reject)
        child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))))
      })
    } finally {
      fs.closeSync(fd)
    }
    const text = fs.readFileSync(file, "utf8")
    expect(text).toMatch(/--title/)
    expect(text).not.toContain("\u001b")
  })

  it("NO_COLOR does not change the plain text", async () => {
    expect(await help("task list", { NO_COLOR: "1" })).toBe(await help("task list"))
  })
})

/** `hub ARGS` on a pseudo-terminal (util-linux `script`): what a user at a terminal sees. */
const onTerminal = async (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}) => {
  const command = [process.execPath, BIN, ...args].map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(" ")
  const r = await runProgram("script", ["-qec", command, "/dev/null"], { env: { ...sb.env, ...env } })
  return { code: r.code, output: r.stdout }
}

describe("help on a terminal", () => {
  it("is in colour", async () => {
    const r = await onTerminal(["task", "create", "--help"])
    expect(r.code).toBe(0)
    expect(r.output).toMatch(/--title/)
    expect(r.output).toContain("\u001b[")
  })

  it("with NO_COLOR set: no escape codes", async () => {
    const r = await onTerminal(["task", "create", "--help"], { NO_COLOR: "1" })
    expect(r.code).toBe(0)
    expect(r.output).toMatch(/--title/)
    expect(r.output).not.toContain("\u001b")
  })

  it("an error line carries no escape codes either", async () => {
    const r = await onTerminal(["task", "create", "--title", "x", "--bogus"])
    expect(r.code).toBe(2)
    expect(r.output).toMatch(/^hub: .*--bogus/)
    expect(r.output).not.toContain("\u001b")
  })
})

describe("completions", () => {
  /**
   * What bash offers for the words typed so far (the last one being completed), from the
   * script `hub --completions bash` prints.
   */
  const bashOffers = async (typed: ReadonlyArray<string>): Promise<Array<string>> => {
    const script = path.join(sb.dir, "hub.bash")
    fs.writeFileSync(script, ok(await hub(sb, ["--completions", "bash"])))
    const words = typed.map((w) => `'${w}'`).join(" ")
    const probe = [
      `source '${script}'`,
      `COMP_WORDS=(${words}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))`,
      `_hub_bash_completions hub "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"`,
      `printf '%s\\n' "\${COMPREPLY[@]}"`
    ].join("\n")
    const r = await runProgram("bash", ["--norc", "--noprofile", "-c", probe], { env: sb.env })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    return r.stdout.split("\n").filter((l) => l !== "")
  }

  it("bash completes the choices of --kind, --status and --author", async () => {
    expect(await bashOffers(["hub", "task", "create", "--kind", ""])).toEqual(["implement", "review", "debug"])
    expect(await bashOffers(["hub", "task", "create", "--title", "x", "--kind", "d"])).toEqual(["debug"])
    expect(await bashOffers(["hub", "task", "create", "--status", ""])).toEqual(["ready", "backlog"])
    expect(await bashOffers(["hub", "task", "create", "--priority", ""])).toEqual(["high", "normal", "low"])
    expect(await bashOffers(["hub", "task", "edit", "7", "--priority", "l"])).toEqual(["low"])
    expect(await bashOffers(["hub", "task", "list", "--status", "in-"])).toEqual(["in-progress", "in-review"])
    expect(await bashOffers(["hub", "task", "report", "7", "--status", ""])).toEqual([
      "in-progress", "blocked", "in-review", "done", "failed"
    ])
    expect(await bashOffers(["hub", "task", "comment", "7", "--author", ""])).toEqual(["human", "agent"])
  })

  it("bash completes commands and options below hub task", async () => {
    expect(await bashOffers(["hub", "task", "cr"])).toEqual(["create"])
    expect(await bashOffers(["hub", "task", "create", "--st"])).toEqual(["--status"])
    expect(await bashOffers(["hub", "repo", "a"])).toEqual(["add"])
  })

  it("zsh and fish scripts carry the choices", async () => {
    const zsh = ok(await hub(sb, ["--completions", "zsh"]))
    expect(zsh).toContain(":CHOICE:(implement review debug)")
    expect(zsh).toContain(":CHOICE:(ready backlog)")
    expect(zsh).toContain(":CHOICE:(human agent)")
    const fish = ok(await hub(sb, ["--completions", "fish"]))
    expect(fish).toMatch(/-l kind -r -f -a "\{implement'',review'',debug''\}"/)
    expect(fish).toMatch(/-l author -r -f -a "\{human'',agent''\}"/)
  })
})
