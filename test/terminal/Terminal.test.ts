/** The tmux service against a real, private tmux server (`tmux -L`), never the user's. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
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
    const line = (name: string) => ["hub", name, "@3", "42", "0", ""].join("\t")
    expect(parsePanes([line("TASK-0007~0a1b2c3d"), line("TASK-0007~notahex"), line("TASK-0008")].join("\n")).map((p) => p.windowName))
      .toEqual(["TASK-0007", "TASK-0007~notahex", "TASK-0008"])
  })
})
