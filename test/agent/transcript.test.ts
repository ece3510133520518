import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { modelCallsOf } from "../../src/agent/transcript.js"
import { readLinesFrom } from "../../src/shared/lines.js"

/** An assistant line as Claude Code writes one (docs/CLAUDE-CODE.md, "The transcript"). */
const assistant = (id: string, usage: Record<string, number>, text = "") =>
  JSON.stringify({
    type: "assistant",
    requestId: `req_${id}`,
    uuid: `u-${id}-${text}`,
    message: { id, model: "claude-sonnet", role: "assistant", content: [{ type: "text", text }], usage }
  })

describe("modelCallsOf", () => {
  it("counts a message streamed over several lines once, with its largest counts, in the order ids first appear", () => {
    const lines = [
      JSON.stringify({ type: "user", message: { role: "user", content: "go" } }),
      assistant("msg_1", { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 }, "a"),
      assistant("msg_2", { input_tokens: 3, output_tokens: 7 }),
      assistant("msg_1", { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 }, "b"),
      assistant("msg_1", { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 }, "c")
    ]
    expect(modelCallsOf(lines)).toEqual([
      { id: "msg_1", usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 } },
      { id: "msg_2", usage: { input_tokens: 3, output_tokens: 7, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } }
    ])
  })

  it("skips what is not a model call: other line types, no id, no usage, not JSON, odd numbers", () => {
    const lines = [
      "not json",
      JSON.stringify({ type: "summary", summary: "s" }),
      JSON.stringify({ type: "assistant", message: { usage: { input_tokens: 5 } } }),
      JSON.stringify({ type: "assistant", message: { id: "msg_x" } }),
      JSON.stringify({ type: "user", message: { id: "msg_u", usage: { input_tokens: 5 } } }),
      assistant("msg_3", { input_tokens: -4, output_tokens: 2.7, cache_read_input_tokens: Number.MAX_VALUE })
    ]
    expect(modelCallsOf(lines)).toEqual([
      { id: "msg_3", usage: { input_tokens: 0, output_tokens: 2, cache_read_input_tokens: Number.MAX_VALUE, cache_creation_input_tokens: 0 } }
    ])
  })
})

describe("readLinesFrom", () => {
  it("reads from where the last read stopped and leaves a partial last line for the next read", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-lines-"))
    try {
      const file = path.join(dir, "t.jsonl")
      expect(readLinesFrom(file, 0)).toEqual({ lines: [], read: 0 })
      fs.writeFileSync(file, "one\ntwo\nthr")
      const first = readLinesFrom(file, 0)
      expect(first).toEqual({ lines: ["one", "two"], read: 8 })
      expect(readLinesFrom(file, first.read)).toEqual({ lines: [], read: 8 })
      fs.appendFileSync(file, "ee\nfour\n")
      expect(readLinesFrom(file, first.read)).toEqual({ lines: ["three", "four"], read: 19 })
      // A line longer than one chunk is read whole.
      const long = "x".repeat((8 << 20) + 10)
      fs.appendFileSync(file, `${long}\nend\n`)
      const big = readLinesFrom(file, 19)
      expect(big.lines.map((l) => l.length)).toEqual([long.length, 3])
      expect(big.read).toBe(fs.statSync(file).size)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
