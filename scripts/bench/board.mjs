// The board (issue 11), in headless Chromium (Debian's, through playwright-core):
// 1. the page ready (every card drawn) with 1,000 tasks and 50 live agents, beside the same
//    browser loading a static page of the same 1,000 titles served by node:http;
// 2. a CLI change (`hub task create`) → the card on the page, beside `hub task create` alone;
// 3. the board server's memory with 20 pages open (each with its event stream), after a change
//    pushed to all of them, beside the same server with no page open.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import { BIN, createTasks, figure, fmtBytes, log, makeSandbox, nowMs, sandboxRuntime, stats } from "./lib.mjs"

export const name = "board"
export const description = "the board's page with 1,000 tasks and 50 agents, CLI change → page, server memory with 20 pages"

const CHROMIUM = process.env.HUB_TEST_CHROMIUM ?? "/usr/bin/chromium"

const rssOf = (pid) => {
  const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? NaN) * 1024
}

const startBoard = (sandbox) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "board", "--port", "0"], { env: sandbox.env, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stderr.setEncoding("utf8").on("data", (d) => (err += d))
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d
      const end = out.indexOf("\n")
      if (end >= 0) resolve({ child, url: out.slice(0, end) })
    })
    child.on("close", (code) => reject(new Error(`hub board exited ${code}: ${err}`)))
  })

const stopBoard = async (board) => {
  board.child.removeAllListeners("close")
  board.child.kill("SIGTERM")
  await new Promise((resolve) => board.child.once("close", resolve))
}

/** The reference page: the same titles as 1,000 plain elements, pre-rendered. */
const staticServer = async (titles) => {
  const escape = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c])
  const body = `<!doctype html><html><body>${titles.map((t, i) => `<article data-task-id="T${i}"><div>${escape(t)}</div><span>implement</span></article>`).join("")}</body></html>`
  const server = http.createServer((_, res) => res.end(body))
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() }
}

const cardsDrawn = (page, n) => page.waitForFunction((count) => document.querySelectorAll("[data-task-id]").length >= count, n, { timeout: 60_000, polling: "raf" })

export const run = async ({ lib, quick }) => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`)
  const { chromium } = await import("playwright-core")
  const agents = 50
  const total = 1000
  const sandbox = makeSandbox("board")
  const rt = sandboxRuntime(lib, sandbox, { dispatchCap: agents })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] })
  let board
  let reference
  try {
    // 50 tasks dispatched (live `sleep 600` windows), the rest waiting: 1,000 cards.
    const titles = Array.from({ length: total }, (_, i) => `bench task ${i}: a title of a typical length, with some words`)
    await createTasks(lib, rt, agents, (i) => ({ title: titles[i] }))
    const dispatched = sandbox.hub(["dispatch"], { HUB_DISPATCH_CAP: String(agents) })
    if (dispatched.code !== 0) throw new Error(`hub dispatch: ${dispatched.stderr}`)
    await createTasks(lib, rt, total - agents, (i) => ({ title: titles[agents + i], status: i % 2 === 0 ? "ready" : "backlog" }))
    const live = sandbox.tmux(["list-windows", "-a", "-F", "#{window_name}"]).stdout.split("\n").filter((n) => n.startsWith("TASK-")).length
    if (live !== agents) throw new Error(`expected ${agents} live agent windows, found ${live}`)

    board = await startBoard(sandbox)
    reference = await staticServer(titles)
    const rssIdle = rssOf(board.child.pid)

    // 1. Page ready: from navigation (the token URL, its redirect) to every card drawn.
    const rounds = quick ? 3 : 9
    const ready = []
    const plain = []
    for (let i = 0; i < rounds + 1; i++) {
      for (const [target, samples] of [[board.url, ready], [reference.url, plain]]) {
        const context = await browser.newContext()
        const page = await context.newPage()
        const t0 = nowMs()
        await page.goto(target)
        await cardsDrawn(page, total)
        const ms = nowMs() - t0
        if (i > 0) samples.push(ms) // the first round warms the browser and the server
        await context.close()
      }
    }

    // 2. A CLI change → the page: `hub task create` started, until its card is on the page.
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(board.url)
    await cardsDrawn(page, total)
    const latency = []
    const createAlone = []
    const changes = quick ? 5 : 15
    for (let i = 0; i < changes; i++) {
      const t0 = nowMs()
      const r = await new Promise((resolve) => {
        const child = spawn(process.execPath, [BIN, "task", "create", "--title", `latency ${i}`], { env: sandbox.env, stdio: ["ignore", "pipe", "ignore"] })
        let out = ""
        child.stdout.setEncoding("utf8").on("data", (d) => (out += d))
        child.on("close", () => resolve({ id: out.trim(), ms: nowMs() - t0 }))
      })
      await page.waitForSelector(`[data-task-id="${r.id}"]`, { timeout: 30_000 })
      latency.push(nowMs() - t0)
      createAlone.push(r.ms)
    }

    // 3. 20 pages open, each with its stream; one change pushed to all of them.
    const pages = [page]
    for (let i = 1; i < 20; i++) {
      const p = await (await browser.newContext()).newPage()
      await p.goto(board.url)
      await cardsDrawn(p, total + changes)
      pages.push(p)
    }
    const t0 = nowMs()
    const id = sandbox.hub(["task", "create", "--title", "seen by twenty pages"]).stdout.trim()
    await Promise.all(pages.map((p) => p.waitForSelector(`[data-task-id="${id}"]`, { timeout: 30_000 })))
    const allTwenty = nowMs() - t0
    await new Promise((resolve) => setTimeout(resolve, 500))
    const rssTwenty = rssOf(board.child.pid)
    log(`  board server RSS: ${fmtBytes(rssIdle)} with no page open, ${fmtBytes(rssTwenty)} with 20 pages open after a change; ` +
      `the change reached all 20 in ${allTwenty.toFixed(0)} ms`)

    const readyStats = stats(ready)
    const latencyStats = stats(latency)
    return [
      figure({
        bench: name,
        measure: `page ready (all ${total} cards drawn), ${agents} live agents`,
        hub: readyStats,
        reference: stats(plain),
        referenceName: `a static page of the same ${total} titles (node:http)`,
        aim: { text: "≤ 1 s", ok: readyStats.median <= 1000 }
      }),
      figure({
        bench: name,
        measure: "hub task create → its card on an open page",
        hub: latencyStats,
        reference: stats(createAlone),
        referenceName: "hub task create alone",
        aim: { text: "≤ 1 s", ok: latencyStats.median <= 1000 }
      }),
      figure({
        bench: name,
        measure: "board server memory (RSS) with 20 pages open",
        hub: null,
        note: `${fmtBytes(rssTwenty)} (${fmtBytes(rssIdle)} with none open: +${fmtBytes(Math.max(0, rssTwenty - rssIdle))}); ` +
          `one change reached all 20 pages in ${allTwenty.toFixed(0)} ms`,
        aim: { text: "≤ 150 MiB", ok: rssTwenty <= 150 * 2 ** 20 }
      })
    ]
  } finally {
    await browser.close()
    if (board) await stopBoard(board)
    reference?.close()
    await rt.dispose()
    sandbox.dispose()
  }
}
