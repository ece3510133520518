/**
 * Serving the board as the bin does: `hub board` (its URL the first line of stdout, signals,
 * a port in use), `hub daemon` beside its loop, the token file, and every refusal of the HTTP
 * layer (no token, a wrong one, a foreign Host, a foreign Origin, a GET that would change
 * state), asked with raw requests whose headers the test sets itself.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { hubOk, spawnHub, task, trackedWorld, waitForStatus } from "../support/hubProcess.js"
import { waitFor } from "../support/sandbox.js"
import { asScript, firstLine, readEvents, request, startBoard } from "./support.js"

const { sandbox, running } = trackedWorld()

/** A port some other program holds. */
const occupiedPort = async (): Promise<{ readonly port: number; readonly close: () => void }> => {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() }
}

describe("hub board", { timeout: 120_000 }, () => {
  it("prints its URL with the token first; the token is kept 0600 in $HUB_HOME/board-token and the same after a restart", async () => {
    const s = sandbox("board-serve")
    const first = await startBoard(s, running)
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/)
    const file = path.join(s.hubHome, "board-token")
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(fs.readFileSync(file, "utf8").trim()).toBe(first.token)
    // 43 base64url characters: 256 random bits.
    expect(Buffer.from(first.token, "base64url").length).toBe(32)
    first.running.child.kill("SIGTERM")
    expect(await first.running.done).toMatchObject({ code: 0, signal: null })
    const second = await startBoard(s, running)
    expect(second.token).toBe(first.token)
    second.running.child.kill("SIGINT")
    const end = await second.running.done
    expect({ code: end.code, signal: end.signal, stderr: end.stderr }).toEqual({ code: 0, signal: null, stderr: "" })
  })

  it("a port in use: exit 1 with one line", async () => {
    const s = sandbox("board-busy")
    const busy = await occupiedPort()
    try {
      const end = await spawnHub(s, ["board", "--port", String(busy.port)]).done
      expect({ code: end.code, stdout: end.stdout }).toEqual({ code: 1, stdout: "" })
      expect(end.stderr).toBe(`hub: port ${busy.port} is in use (choose another with --port or HUB_BOARD_PORT)\n`)
    } finally {
      busy.close()
    }
  })

  it("--port defaults to HUB_BOARD_PORT; a bad --port is refused with one line", async () => {
    const s = sandbox("board-port")
    const viaEnv = spawnHub(s, ["board"], { HUB_BOARD_PORT: "0" })
    running.push(viaEnv)
    expect(await firstLine(viaEnv)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/)
    const bad = await spawnHub(s, ["board", "--port", "http"]).done
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({ code: 1, stderr: "hub: not a port for --port: 'http' (0-65535; 0 takes any free port)\n" })
  })
})

describe("the board's refusals", { timeout: 120_000 }, () => {
  it("no token or a wrong one: 401; the URL's token only redirects, with the cookie", async () => {
    const s = sandbox("board-401")
    const board = await startBoard(s, running)
    const host = { host: `127.0.0.1:${board.port}` }
    for (const path of ["/", "/board.js", "/api/tasks", "/api/events", "/api/tasks/1"]) {
      expect((await request(board.port, { path, headers: host })).status, path).toBe(401)
    }
    const wrong = "A".repeat(43)
    expect((await request(board.port, { path: "/api/tasks", headers: { ...host, authorization: `Bearer ${wrong}` } })).status).toBe(401)
    expect((await request(board.port, { path: "/api/tasks", headers: { ...host, cookie: `hub_board_${board.port}=${wrong}` } })).status).toBe(401)
    expect((await request(board.port, { path: `/?token=${wrong}`, headers: host })).status).toBe(401)
    // Another board's cookie (another port) is not this one's.
    expect((await request(board.port, { path: "/api/tasks", headers: { ...host, cookie: `hub_board_1=${board.token}` } })).status).toBe(401)

    const opened = await request(board.port, { path: `/?token=${board.token}`, headers: host })
    expect(opened.status).toBe(303)
    expect(opened.headers.location).toBe("/")
    expect(opened.headers["set-cookie"]).toEqual([`hub_board_${board.port}=${board.token}; Path=/; HttpOnly; SameSite=Strict`])
    const withCookie = await request(board.port, { path: "/", headers: { ...host, cookie: `hub_board_${board.port}=${board.token}` } })
    expect(withCookie.status).toBe(200)
    expect(withCookie.body).toContain("<title>hub board</title>")
    expect((await request(board.port, { path: "/api/tasks", headers: asScript(board) })).body).toBe(`{"tasks":[]}`)
  })

  it("a Host other than 127.0.0.1:PORT or localhost:PORT: 403, even with the token (DNS rebinding)", async () => {
    const s = sandbox("board-host")
    const board = await startBoard(s, running)
    for (const host of ["evil.example", `evil.example:${board.port}`, `127.0.0.1:${board.port + 1}`, "127.0.0.1", `[::1]:${board.port}`]) {
      const answer = await request(board.port, { path: "/api/tasks", headers: { ...asScript(board), host } })
      expect({ host, status: answer.status }).toEqual({ host, status: 403 })
    }
    expect((await request(board.port, { path: "/api/tasks", headers: { ...asScript(board), host: `localhost:${board.port}` } })).status).toBe(200)
  })

  it("changes only by POST with the board's own Origin: a foreign or missing Origin and a GET are 403, and nothing changes", async () => {
    const s = sandbox("board-origin")
    await hubOk(s, ["task", "create", "--title", "keep me"])
    const board = await startBoard(s, running)
    const post = (path: string, headers: Record<string, string>, body = "{}") =>
      request(board.port, { method: "POST", path, headers, body })
    const { origin: _origin, ...noOrigin } = asScript(board, true)
    for (const headers of [
      { ...asScript(board), origin: "http://evil.example" },
      { ...asScript(board), origin: `http://127.0.0.1:${board.port + 1}` },
      { ...asScript(board), origin: "null" },
      noOrigin
    ]) {
      expect((await post("/api/tasks/1/cancel", headers)).status).toBe(403)
      expect((await post("/api/tasks", headers, `{"title":"injected"}`)).status).toBe(403)
      expect((await post("/api/tasks/1/comments", headers, `{"text":"injected"}`)).status).toBe(403)
    }
    // A GET (a link, an <img>) that would change state.
    for (const path of ["/api/tasks/1/cancel", "/api/tasks/1/ready", "/api/tasks/1/retry", "/api/tasks/1/comments"]) {
      const answer = await request(board.port, { path, headers: asScript(board) })
      expect({ path, status: answer.status, body: answer.body }).toEqual({
        path,
        status: 403,
        body: `{"error":"forbidden: a change needs POST from the board's own page"}`
      })
    }
    expect(task(s, "TASK-0001")).toMatchObject({ status: "ready" })
    expect(JSON.parse(await hubOk(s, ["task", "list", "--json"]))).toHaveLength(1)
    expect(JSON.parse(await hubOk(s, ["task", "show", "1", "--json"])).comments).toEqual([])

    // The same POST from the board's own Origin goes through.
    const done = await post("/api/tasks/1/cancel", asScript(board, true))
    expect(done.status).toBe(200)
    expect(JSON.parse(done.body).task).toMatchObject({ id: "TASK-0001", status: "cancelled" })
  })

  it("sends no CORS headers, to any request", async () => {
    const s = sandbox("board-cors")
    const board = await startBoard(s, running)
    const answers = await Promise.all([
      request(board.port, { path: "/api/tasks", headers: { ...asScript(board), origin: "http://evil.example" } }),
      request(board.port, { method: "OPTIONS", path: "/api/tasks", headers: { ...asScript(board), origin: "http://evil.example", "access-control-request-method": "POST" } }),
      request(board.port, { method: "POST", path: "/api/tasks", headers: { ...asScript(board), origin: "http://evil.example" }, body: "{}" })
    ])
    for (const answer of answers) {
      expect(Object.keys(answer.headers).filter((h) => h.startsWith("access-control-"))).toEqual([])
    }
  })

  it("the API's own refusals: one line of JSON, with the status that says what kind", async () => {
    const s = sandbox("board-api")
    const board = await startBoard(s, running)
    const post = (path: string, body: string) => request(board.port, { method: "POST", path, headers: asScript(board, true), body })
    expect(await post("/api/tasks", `{"title":" "}`)).toMatchObject({ status: 400, body: `{"error":"the title may not be empty"}` })
    expect(await post("/api/tasks", `{"title":"t","kind":"build"}`)).toMatchObject({
      status: 400,
      body: `{"error":"not a kind: 'build' (one of: implement, review, debug)"}`
    })
    expect((await post("/api/tasks", `not json`)).status).toBe(400)
    expect(await post("/api/tasks/77/cancel", "{}")).toMatchObject({ status: 404, body: `{"error":"no such task: TASK-0077"}` })
    expect(await post("/api/tasks/x7/cancel", "{}")).toMatchObject({ status: 400, body: `{"error":"not a task id: 'x7' (expected TASK-0007 or 7)"}` })
    const created = await post("/api/tasks", `{"title":"from a script","repo":"acme/app","kind":"review","description":"d"}`)
    expect(created.status).toBe(201)
    expect(JSON.parse(created.body).task).toMatchObject({ id: "TASK-0001", title: "from a script", repo: "acme/app", kind: "review", status: "ready" })
    expect(await post("/api/tasks/1/retry", "{}")).toMatchObject({ status: 409, body: `{"error":"TASK-0001: cannot move from ready to ready (task retry)"}` })
  })
})

describe("the pane", { timeout: 120_000 }, () => {
  it("is this host's agent's screen; another host's agent is never looked for on this host's tmux", async () => {
    const s = sandbox("board-pane-host")
    await hubOk(s, ["task", "create", "--title", "printing"])
    await hubOk(s, ["dispatch"], { HUB_HOST: "here", HUB_AGENT_COMMAND: "echo 'on the screen'; sleep 600" })
    const here = await startBoard(s, running, { HUB_HOST: "here" })
    const pane = async (board: typeof here) =>
      JSON.parse((await request(board.port, { path: "/api/tasks/1/pane", headers: asScript(board) })).body) as { live: boolean; pane: string | null }
    let seen = await pane(here)
    for (const end = Date.now() + 15_000; !seen.pane?.includes("on the screen") && Date.now() < end;) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      seen = await pane(here)
    }
    expect(seen).toMatchObject({ live: true, pane: expect.stringContaining("on the screen") })
    const elsewhere = await startBoard(s, running, { HUB_HOST: "elsewhere" })
    expect(await pane(elsewhere)).toEqual({ id: "TASK-0001", live: false, pane: null })
  })
})

describe("hub daemon serves the board", { timeout: 120_000 }, () => {
  it("logs `board: <URL>` once, and the board is live while the daemon dispatches", async () => {
    const s = sandbox("board-daemon")
    const d = spawnHub(s, ["daemon", "--interval", "1s"], { HUB_BOARD_PORT: "0" })
    running.push(d)
    let stderr = ""
    d.child.stderr!.on("data", (chunk: string) => (stderr += chunk))
    expect(await waitFor(() => /info board: http:\/\/127\.0\.0\.1:\d+\/\?token=\S+\n/.test(stderr), 30_000)).toBe(true)
    const url = new URL(/board: (\S+)/.exec(stderr)![1]!)
    const board = { port: Number(url.port), token: url.searchParams.get("token")!, origin: url.origin }
    // The daemon's own writes reach its board's stream (no other process pokes here).
    const dispatched = readEvents(board.port, asScript(board), (text) => /"id":"TASK-0001"[^}]*"status":"in-progress"/.test(text))
    expect(await dispatched.first).toBe(`{"tasks":[]}`)
    // A task created through the daemon's board wakes the daemon at once (it dispatches it).
    const created = await request(board.port, { method: "POST", path: "/api/tasks", headers: asScript(board, true), body: `{"title":"via the daemon's board"}` })
    expect(created.status).toBe(201)
    expect((await waitForStatus(s, "TASK-0001", "in-progress", 30_000)).status).toBe("in-progress")
    expect(await dispatched.held).toBe(true)
    const listed = JSON.parse((await request(board.port, { path: "/api/tasks", headers: asScript(board) })).body)
    expect(listed.tasks).toEqual([expect.objectContaining({ id: "TASK-0001", title: "via the daemon's board" })])
    expect(stderr.match(/board: /g)).toHaveLength(1)
    d.child.kill("SIGTERM")
    expect((await d.done).code).toBe(0)
  })

  it("a port in use is a warning, and dispatching goes on; HUB_BOARD_PORT=off serves none", async () => {
    const s = sandbox("board-daemon-busy")
    const busy = await occupiedPort()
    try {
      await hubOk(s, ["task", "create", "--title", "dispatched anyway"])
      const d = spawnHub(s, ["daemon", "--interval", "1s"], { HUB_BOARD_PORT: String(busy.port) })
      running.push(d)
      expect((await waitForStatus(s, "TASK-0001", "in-progress", 30_000)).status).toBe("in-progress")
      d.child.kill("SIGTERM")
      const end = await d.done
      expect(end.code).toBe(0)
      expect(end.stderr).toMatch(new RegExp(`warn board: not served: port ${busy.port} is in use`))
      expect(end.stderr).not.toMatch(/info board: http/)

      const off = spawnHub(s, ["daemon", "--interval", "1s"], { HUB_BOARD_PORT: "off" })
      running.push(off)
      expect(await waitFor(() => off.exited() || fs.existsSync(path.join(s.hubHome, "wake", `${off.pid}.sock`)), 30_000)).toBe(true)
      off.child.kill("SIGTERM")
      const offEnd = await off.done
      expect(offEnd.code).toBe(0)
      expect(offEnd.stderr).not.toMatch(/board/)
    } finally {
      busy.close()
    }
  })
})
