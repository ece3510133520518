/** The tmux service against a real, private tmux server (`tmux -L`), never the user's. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { parsePanes, Terminal, TerminalLive } from "../../src/terminal/Terminal.js"
import { sandboxConfig } from "../support/layers.js"
import { makeSandbox } from "../support/sandbox.js"

const withTerminal = <A, E>(use: (t: Terminal["Type"], sandbox: ReturnType<typeof makeSandbox>) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const sandbox = makeSandbox("term")
    yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
    const terminal = yield* Effect.provide(Terminal, TerminalLive.pipe(Layer.provide(sandboxConfig(sandbox))))
    return yield* use(terminal, sandbox)
  })

const windows = (sandbox: ReturnType<typeof makeSandbox>) =>
  sandbox.tmux(["list-windows", "-a", "-F", "#{session_name} #{window_id} #{window_name} #{remain-on-exit}"]).stdout.trim().split("\n")

const spec = (name: string) => ({ name, cwd: "/tmp", env: { HUB_X: "1" }, command: "sleep 600" })

describe("Terminal.openWindow", () => {
  it.scoped("makes the session when the server or the session is missing, then opens the window in it", () =>
    withTerminal((terminal, sandbox) =>
      Effect.gen(function* () {
        const first = yield* terminal.openWindow(spec("TASK-0001"))
        expect(first).toMatchObject({ socket: sandbox.socket, session: "hub" })
        const second = yield* terminal.openWindow(spec("TASK-0002"))
        expect(windows(sandbox)).toEqual([
          expect.stringMatching(/^hub @\d+ hub off$/),
          `hub ${first.windowId} TASK-0001 on`,
          `hub ${second.windowId} TASK-0002 on`
        ])
      })))

  it.scoped("remain-on-exit lands on the new window even when an older one has the same name", () =>
    withTerminal((terminal, sandbox) =>
      Effect.gen(function* () {
        yield* terminal.openWindow(spec("TASK-0000"))
        sandbox.tmux(["new-window", "-d", "-t", "=hub:", "-n", "TASK-0001", "sleep 600"])
        const opened = yield* terminal.openWindow(spec("TASK-0001"))
        const rows = windows(sandbox).filter((w) => w.includes("TASK-0001"))
        expect(rows).toEqual([expect.stringMatching(/^hub @\d+ TASK-0001 off$/), `hub ${opened.windowId} TASK-0001 on`])
      })))
})

describe("parsePanes", () => {
  it("reads a window still under its birth name as the task's window", () => {
    const line = (name: string) => ["hub", name, "@3", "42", "1764583200", "0", ""].join("\t")
    expect(parsePanes([line("TASK-0007~0a1b2c3d"), line("TASK-0007~notahex"), line("TASK-0008")].join("\n")).map((p) => p.windowName))
      .toEqual(["TASK-0007", "TASK-0007~notahex", "TASK-0008"])
  })
})

describe("the probe", () => {
  it("reads each window's last output time and a dead pane's status", () => {
    const [alive, dead] = parsePanes(["hub\tTASK-0001\t@1\t41\t1764583200\t0\t", "hub\tTASK-0002\t@2\t42\t1764583260\t1\t3"].join("\n"))
    expect(alive).toMatchObject({ windowName: "TASK-0001", dead: false, deadStatus: null, activityAt: "2025-12-01T10:00:00.000Z" })
    expect(dead).toMatchObject({ windowName: "TASK-0002", dead: true, deadStatus: 3, activityAt: "2025-12-01T10:01:00.000Z" })
  })

  it.scoped("tmux gives a real window's last output time", () =>
    withTerminal((terminal, sandbox) =>
      Effect.gen(function* () {
        const opened = yield* terminal.openWindow(spec("TASK-0003"))
        const seen = yield* terminal.probe(sandbox.socket)
        const pane = seen._tag === "Running" ? seen.panes.find((p) => p.windowId === opened.windowId) : undefined
        expect(pane?.activityAt).toMatch(/^\d{4}-\d\d-\d\dT/)
        expect(Math.abs(Date.parse(pane!.activityAt!) - Date.now())).toBeLessThan(10 * 60_000)
      })))
})

describe("Terminal.capture", () => {
  it.scoped("the last lines a window shows, as plain text; none once the window or its server is gone", () =>
    withTerminal((terminal, sandbox) =>
      Effect.gen(function* () {
        const opened = yield* terminal.openWindow({
          ...spec("TASK-0001"),
          command: "for i in 1 2 3 4 5; do printf 'line %s\\n' $i; done; printf '\\033[31mred\\033[0m\\n'; sleep 600"
        })
        const ref = { windowId: opened.windowId, socket: sandbox.socket }
        let shown = Option.none<string>()
        for (let i = 0; i < 100 && !Option.getOrElse(shown, () => "").includes("red"); i++) {
          shown = yield* terminal.capture(ref, 3)
          if (!Option.getOrElse(shown, () => "").includes("red")) yield* Effect.sleep("50 millis")
        }
        // The last three lines, trailing blank ones dropped, without the colour's escapes.
        expect(shown).toEqual(Option.some("line 4\nline 5\nred"))
        sandbox.tmux(["kill-window", "-t", opened.windowId])
        expect(yield* terminal.capture(ref, 3)).toEqual(Option.none())
        sandbox.tmux(["kill-server"])
        expect(yield* terminal.capture(ref, 3)).toEqual(Option.none())
      })))
})
