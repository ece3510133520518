/**
 * The board in a real browser (Debian's Chromium, headless, through playwright-core): a
 * `hub board --port 0` of a sandbox, the bin's CLI changing the store beside it, and the page
 * showing each change without a reload; the page's actions reaching the store; task text
 * staying text.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import type { Browser, Page } from "playwright-core"
import { addRepo, hubOk, task, trackedWorld, waitForStatus } from "../support/hubProcess.js"
import type { Sandbox } from "../support/sandbox.js"
import { launchBrowser, type ServedBoard, startBoard } from "./support.js"

const { sandbox, running } = trackedWorld()

let browser: Browser
beforeAll(async () => {
  browser = await launchBrowser()
}, 60_000)
afterAll(async () => {
  await browser?.close()
})

/** A fresh browser context (no cookie yet) on the board's printed URL; the page once drawn. */
const openBoard = async (board: ServedBoard): Promise<Page> => {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(board.url)
  await page.waitForSelector("body[data-ready=true]")
  return page
}

const card = (page: Page, id: string, status?: string) =>
  page.locator(status === undefined ? `[data-task-id="${id}"]` : `[data-column="${status}"] [data-task-id="${id}"][data-status="${status}"]`)

/** A marker on the page's window: still there later means the page was never reloaded. */
const markPage = (page: Page) => page.evaluate(() => ((globalThis as unknown as { __same: number }).__same = 42))
const stillSamePage = (page: Page) => page.evaluate(() => (globalThis as unknown as { __same?: number }).__same === 42)

const world = async (name: string): Promise<{ s: Sandbox; board: ServedBoard; page: Page }> => {
  const s = sandbox(name)
  await hubOk(s, ["task", "list"])
  const board = await startBoard(s, running)
  const page = await openBoard(board)
  return { s, board, page }
}

describe("the board in a browser", { timeout: 120_000 }, () => {
  it("takes the token from the URL once: an HttpOnly, SameSite=Strict cookie, and a URL without it", async () => {
    const { board, page } = await world("board-cookie")
    expect(page.url()).toBe(`${board.origin}/`)
    const cookies = await page.context().cookies()
    expect(cookies).toEqual([expect.objectContaining({ name: `hub_board_${board.port}`, value: board.token, httpOnly: true, sameSite: "Strict" })])
    // The cookie alone opens it from now on.
    await page.reload()
    await page.waitForSelector("body[data-ready=true]")
    expect(await page.locator("[data-column]").count()).toBe(8)
  })

  it("shows a task created on the CLI without a reload, turns it in-progress on dispatch, and shows the agent's pane as it changes", async () => {
    const { s, page } = await world("board-live")
    await markPage(page)
    expect(await hubOk(s, ["task", "create", "--title", "made on the CLI", "--kind", "review"])).toBe("TASK-0001\n")
    await card(page, "TASK-0001", "ready").waitFor()
    expect(await card(page, "TASK-0001").locator(".title").textContent()).toBe("made on the CLI")
    expect(await card(page, "TASK-0001").locator(".kind").textContent()).toBe("review")

    // The agent prints a line, then another once the test says so (a file in its workspace).
    const agent = `printf 'agent says: %s\\n' "$HUB_TASK_ID"; until [ -e go ]; do sleep 0.1; done; printf 'and later: done\\n'; sleep 600`
    await hubOk(s, ["dispatch"], { HUB_AGENT_COMMAND: agent })
    await card(page, "TASK-0001", "in-progress").waitFor()
    // The agent's state and its age, on the card.
    await expect.poll(() => card(page, "TASK-0001").locator("[data-field=state]").textContent()).toMatch(/^(starting|busy|idle) · \d+s$/)
    await card(page, "TASK-0001").click()
    const pane = page.locator("[data-pane]")
    await expect.poll(() => pane.textContent(), { timeout: 15_000 }).toContain("agent says: TASK-0001")
    fs.writeFileSync(path.join(s.hubHome, "workspaces", "TASK-0001", "go"), "")
    await expect.poll(() => pane.textContent(), { timeout: 15_000 }).toContain("and later: done")
    expect(await stillSamePage(page)).toBe(true)

    // Cancel from the page: the store has it, the window is gone, the card moved.
    await page.locator("[data-detail] [data-action=cancel]").click()
    expect((await waitForStatus(s, "TASK-0001", "cancelled")).status).toBe("cancelled")
    await card(page, "TASK-0001", "cancelled").waitFor()
    const events = JSON.parse(await hubOk(s, ["task", "events", "TASK-0001", "--json"])) as Array<{ reason: string; actor: string }>
    expect(events.at(-1)).toMatchObject({ actor: "human", reason: "board: cancel" })
    expect(await stillSamePage(page)).toBe(true)
  })

  it("ready, retry, comment and create from the page reach the store; the detail shows the history with reasons", async () => {
    const { s, page } = await world("board-actions")
    await hubOk(s, ["task", "create", "--title", "waiting in the backlog", "--status", "backlog", "--description", "the details", "--link", "https://example.com/issues/7"])
    await card(page, "TASK-0001", "backlog").click()
    await expect.poll(() => page.locator("[data-detail] [data-field=description]").textContent()).toBe("the details")
    expect(await page.locator("[data-detail] [data-field=links] a").evaluateAll((a) => a.map((e) => [e.textContent, e.getAttribute("href")]))).toEqual([
      ["https://example.com/issues/7", "https://example.com/issues/7"]
    ])
    expect(await page.locator("[data-detail] [data-action]").evaluateAll((b) => b.map((e) => e.getAttribute("data-action")))).toEqual(["ready", "cancel"])
    await page.locator("[data-detail] [data-action=ready]").click()
    await waitForStatus(s, "TASK-0001", "ready")
    await card(page, "TASK-0001", "ready").waitFor()

    // A failed task, retried from the page.
    await hubOk(s, ["dispatch"])
    await hubOk(s, ["task", "report", "TASK-0001", "--status", "failed", "--reason", "tests do not pass"])
    await card(page, "TASK-0001", "failed").waitFor()
    await page.locator("[data-detail][data-detail-status=failed]").waitFor()
    expect(await page.locator("[data-detail] [data-field=history]").textContent()).toContain("tests do not pass")
    await page.locator("[data-detail] [data-action=retry]").click()
    expect((await waitForStatus(s, "TASK-0001", "ready")).status).toBe("ready")
    await card(page, "TASK-0001", "ready").waitFor()

    // A comment from the page.
    await page.locator("[data-comment] textarea[name=text]").fill("looks good to me")
    await page.locator("[data-comment] button").click()
    await expect.poll(() => page.locator("[data-detail] [data-field=comments]").textContent()).toContain("looks good to me")
    expect(JSON.parse(await hubOk(s, ["task", "show", "1", "--json"])).comments).toEqual([
      expect.objectContaining({ author: "human", text: "looks good to me" })
    ])

    // Create: Enter in the title submits the form.
    await page.locator("[data-create] input[name=title]").fill("made on the page")
    await page.locator("[data-create] textarea[name=description]").fill("from the form")
    await page.locator("[data-create] select[name=kind]").selectOption("debug")
    await page.locator("[data-create] input[name=title]").press("Enter")
    await card(page, "TASK-0002", "ready").waitFor()
    expect(task(s, "TASK-0002")).toMatchObject({ title: "made on the page", description: "from the form", kind: "debug", status: "ready", repo: null })
  })

  it("shows the branch's diff stat against its base", async () => {
    const s = sandbox("board-diff")
    await addRepo(s, "acme/app")
    await hubOk(s, ["task", "create", "--title", "add a file", "--repo", "acme/app"])
    const agent = "printf 'one\\ntwo\\n' > added.txt && git add added.txt && git -c user.name=a -c user.email=a@a commit -qm add && printf 'x\\n' > loose.txt && git add loose.txt; echo committed; sleep 600"
    await hubOk(s, ["dispatch"], { HUB_AGENT_COMMAND: agent })
    const board = await startBoard(s, running)
    const page = await openBoard(board)
    await card(page, "TASK-0001", "in-progress").click()
    await expect.poll(() => page.locator("[data-pane]").textContent(), { timeout: 15_000 }).toContain("committed")
    // The stat is read when the detail opens: open it again now that the agent committed.
    await page.locator("[data-close]").click()
    await card(page, "TASK-0001").click()
    const diff = page.locator("[data-diff]")
    await expect.poll(() => diff.textContent(), { timeout: 15_000 }).toContain("added.txt")
    expect(await diff.textContent()).toMatch(/added\.txt \| 2 \+\+/)
    expect(await diff.textContent()).toMatch(/not committed yet:[\s\S]*loose\.txt/)
  })

  it("keeps hostile task text as text: titles, descriptions and comments inject no markup or script", async () => {
    const { s, page } = await world("board-hostile")
    const title = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`
    const description = `</pre><iframe src="javascript:window.__pwned=3"></iframe>`
    await hubOk(s, ["task", "create", "--title", title, "--description", description])
    await hubOk(s, ["task", "comment", "1", "--content", `<b onmouseover="window.__pwned=4">bold</b>`])
    await card(page, "TASK-0001", "ready").waitFor()
    expect(await card(page, "TASK-0001").locator(".title").textContent()).toBe(title)
    await card(page, "TASK-0001").click()
    await expect.poll(() => page.locator("[data-detail] [data-field=description]").textContent()).toBe(description)
    await page.locator("[data-comment] textarea[name=text]").fill(`<svg onload="window.__pwned=5"></svg>`)
    await page.locator("[data-comment] button").click()
    await expect.poll(() => page.locator("[data-detail] [data-field=comments]").textContent()).toContain(`<svg onload="window.__pwned=5"></svg>`)
    expect(await page.locator("main img, main script, aside img, aside iframe, aside svg, aside b").count()).toBe(0)
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
    expect(await page.locator("[data-detail] [data-field=comments]").textContent()).toContain(`<b onmouseover="window.__pwned=4">bold</b>`)
  })

  it("a foreign site's page in the same browser cannot change anything: its form POST and its fetch are refused", async () => {
    const { s, board, page } = await world("board-cross-site")
    await hubOk(s, ["task", "create", "--title", "keep me"])
    await card(page, "TASK-0001", "ready").waitFor()
    // Another origin (localhost on another port is another site): a page that posts a form to
    // the board as soon as it loads, and reads what a fetch gets back.
    const target = `${board.origin}/api/tasks/TASK-0001/cancel`
    const evil = http.createServer((_, res) => {
      res.setHeader("content-type", "text/html")
      res.end(`<form id=f method=POST action="${target}" enctype="text/plain"><input name='{"x":"' value='"}'></form>` +
        `<script>fetch(${JSON.stringify(target)}, {method: "POST", mode: "no-cors", credentials: "include"}).finally(() => document.getElementById("f").submit())</script>`)
    })
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve))
    try {
      const other = await page.context().newPage()
      const answered = other.waitForResponse((r) => r.url() === target && r.request().resourceType() === "document")
      await other.goto(`http://localhost:${(evil.address() as { port: number }).port}/`)
      // The browser sent no cookie (SameSite=Strict) and a foreign Origin: refused either way.
      expect([401, 403]).toContain((await answered).status())
    } finally {
      evil.close()
    }
    expect(task(s, "TASK-0001").status).toBe("ready")
    expect(await card(page, "TASK-0001").getAttribute("data-status")).toBe("ready")
  })

  it("shows the CLI's refusals as one line, and changes nothing", async () => {
    const { s, page } = await world("board-refusals")
    const message = page.locator("[data-message]")
    const create = async (title: string, repo = "") => {
      await page.locator("[data-create] input[name=repo]").fill(repo)
      await page.locator("[data-create] input[name=title]").fill(title)
      await page.locator("[data-create] input[name=title]").press("Enter")
    }
    await create("   ")
    await expect.poll(() => message.textContent()).toBe("the title may not be empty")
    await create("a task", "not/a/repo")
    await expect.poll(() => message.textContent()).toBe("not a repo name: 'not/a/repo' (expected owner/name)")
    expect(await hubOk(s, ["task", "list"])).toBe("no tasks\n")

    await hubOk(s, ["task", "create", "--title", "ready one"])
    await card(page, "TASK-0001", "ready").click()
    await page.locator("[data-detail][data-detail-status=ready]").waitFor()
    await page.locator("[data-comment] button").click()
    await expect.poll(() => message.textContent()).toBe("the comment may not be empty")
    // A move the table refuses, asked by the page's own script (same cookie, same Origin).
    const refused = await page.evaluate(async () => {
      const r = await fetch("/api/tasks/TASK-0001/retry", { method: "POST" })
      return { status: r.status, body: await r.json() }
    })
    expect(refused).toEqual({ status: 409, body: { error: "TASK-0001: cannot move from ready to ready (task retry)" } })
    expect(task(s, "TASK-0001").status).toBe("ready")
    expect(await message.textContent()).not.toContain("\n")
  })
})
