import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { HubConfig } from "../config.js"
import { InvalidInput } from "../domain/errors.js"
import { out } from "./output.js"
import { exitCleanlyOnSignal } from "./signals.js"

/** The board's code loads only for the commands that serve it: other commands start as fast as before. */
const board = () => import("../board/index.js")

const parsePort = (text: string) => {
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text.trim()) : NaN
  return port <= 65535
    ? Effect.succeed(port)
    : Effect.fail(new InvalidInput({ message: `not a port for --port: '${text}' (0-65535; 0 takes any free port)` }))
}

export const boardCommand = Command.make("board", {
  port: Options.text("port").pipe(
    Options.withPseudoName("N"),
    Options.optional,
    Options.withDescription("the port on 127.0.0.1 (default: HUB_BOARD_PORT, else 4820; 0: any free port)")
  )
}, (o) =>
  Effect.gen(function* () {
    const { boardPort } = yield* HubConfig
    const { DEFAULT_BOARD_PORT, startBoard } = yield* Effect.promise(board)
    const port = Option.isSome(o.port) ? yield* parsePort(o.port.value) : boardPort === "off" ? DEFAULT_BOARD_PORT : boardPort
    yield* exitCleanlyOnSignal
    const served = yield* startBoard(port)
    // The first line of stdout, for people and for scripts that wait for it.
    yield* out(served.url)
    return yield* Effect.never
  }).pipe(Effect.scoped)).pipe(
  Command.withDescription("serve the board, a live web page of the tasks and agents, on 127.0.0.1; prints its URL")
)

/** What `hub daemon` serves beside its loop (HUB_BOARD_PORT; `off`: nothing). */
export const boardBesideDaemon = Effect.flatMap(Effect.promise(board), (b) => b.boardBesideDaemon)
