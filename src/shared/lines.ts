import * as fs from "node:fs"

/** How much of an append-only file one read takes at most (a longer line is still read whole). */
const CHUNK = 8 << 20

/**
 * The whole lines an append-only file (JSONL) gained after byte `from`, and where the next
 * read starts: a last line still being written (no newline yet) waits for the next read. A
 * missing or unreadable file has no lines. A long backlog is read a chunk at a time.
 */
export const readLinesFrom = (file: string, from: number): { readonly lines: ReadonlyArray<string>; readonly read: number } => {
  let fd: number
  try {
    fd = fs.openSync(file, "r")
  } catch {
    return { lines: [], read: from }
  }
  try {
    const size = fs.fstatSync(fd).size
    // A file that shrank (rewritten, replaced) is not ours to make sense of: nothing new.
    if (size <= from) return { lines: [], read: from }
    let length = Math.min(CHUNK, size - from)
    for (;;) {
      const bytes = Buffer.alloc(length)
      const got = fs.readSync(fd, bytes, 0, length, from)
      const whole = bytes.subarray(0, got).lastIndexOf(0x0a) + 1
      // One line longer than the chunk: read further until it ends (or the file does).
      if (whole === 0 && from + got < size) {
        length = Math.min(length * 2, size - from)
        continue
      }
      const lines = bytes.subarray(0, whole).toString("utf8").split("\n").filter((line) => line !== "")
      return { lines, read: from + whole }
    }
  } catch {
    return { lines: [], read: from }
  } finally {
    fs.closeSync(fd)
  }
}
