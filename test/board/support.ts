/**
 * Helpers for the board's tests: a `hub board --port 0` of a sandbox (its URL read from the
 * first line of stdout), raw HTTP requests whose Host and Origin the test sets itself, and one
 * headless Chromium per test file (Debian's, driven by playwright-core).
 */
import * as fs from "node:fs"
import * as http from "node:http"
import { type Browser, chromium } from "playwright-core"
import { type Running, spawnHub } from "../support/hubProcess.js"
import { type Sandbox, waitFor } from "../support/sandbox.js"

export const CHROMIUM = process.env.HUB_TEST_CHROMIUM ?? "/usr/bin/chromium"

export const launchBrowser = (): Promise<Browser> => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set HUB_TEST_CHROMIUM)`)
  // Root (CI, this machine) cannot use Chromium's sandbox.
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] })
}

export interface ServedBoard {
  readonly running: Running
  /** The URL with the token, as printed. */
  readonly url: string
  readonly origin: string
  readonly port: number
  readonly token: string
}

/** The first line a process prints on stdout, within `ms`. */
export const firstLine = async (running: Running, ms = 30_000): Promise<string> => {
  let line = ""
  const seen: Array<string> = []
  running.child.stdout!.on("data", (d: string) => seen.push(d))
  const ok = await waitFor(() => {
    const text = seen.join("")
    const end = text.indexOf("\n")
    if (end >= 0) line = text.slice(0, end)
    return end >= 0 || running.exited()
  }, ms, 20)
  if (!ok || line === "") {
    const done = running.exited() ? await running.done : undefined
    throw new Error(`no first line on stdout (exit ${done?.code}, stderr: ${done?.stderr ?? "still running"})`)
  }
  return line
}

export const startBoard = async (sandbox: Sandbox, running: Array<Running>, extra: NodeJS.ProcessEnv = {}): Promise<ServedBoard> => {
  const board = spawnHub(sandbox, ["board", "--port", "0"], extra)
  running.push(board)
  const url = await firstLine(board)
  const parsed = new URL(url)
  return { running: board, url, origin: parsed.origin, port: Number(parsed.port), token: parsed.searchParams.get("token") ?? "" }
}

export interface Answer {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** One request with exactly these headers (fetch would not let a test set Host). */
export const request = (
  port: number,
  options: { readonly method?: string; readonly path: string; readonly headers?: Record<string, string>; readonly body?: string }
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path, headers: options.headers ?? {} }, (res) => {
      let body = ""
      res.setEncoding("utf8").on("data", (d: string) => (body += d))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on("error", reject)
    req.end(options.body)
  })

/** The headers a script sends: the board's Host, the Bearer token, and for changes its Origin. */
export const asScript = (board: Pick<ServedBoard, "port" | "token" | "origin">, change = false): Record<string, string> => ({
  host: `127.0.0.1:${board.port}`,
  authorization: `Bearer ${board.token}`,
  "content-type": "application/json",
  ...(change ? { origin: board.origin } : {})
})

/**
 * Reads the board's event stream until `until` holds for what arrived (or `ms` pass). `first`
 * resolves with the stream's first event (what the board held when the stream opened), `held`
 * with whether `until` came to hold. The stream is closed either way.
 */
export const readEvents = (port: number, headers: Record<string, string>, until: (text: string) => boolean, ms = 30_000) => {
  let text = ""
  let firstEvent: (event: string) => void = () => {}
  const first = new Promise<string>((resolve) => (firstEvent = resolve))
  const held = new Promise<boolean>((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/api/events", headers }, (res) => {
      res.setEncoding("utf8").on("data", (d: string) => {
        text += d
        const event = /event: tasks\ndata: (.*)\n\n/.exec(text)
        if (event) firstEvent(event[1]!)
        if (until(text)) finish(true)
      })
    })
    const timer = setTimeout(() => finish(false), ms)
    const finish = (ok: boolean) => {
      clearTimeout(timer)
      req.destroy()
      resolve(ok)
    }
    req.on("error", (error) => (text === "" ? reject(error) : undefined))
  })
  return { first, held }
}
