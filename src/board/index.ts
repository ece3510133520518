/**
 * The board: a live web page of the queue and its agents, served on 127.0.0.1. Its public
 * entry, the only module the CLI imports (cli/board.ts). It is a face over the library, like
 * the CLI: the same store, the same task actions, the same refusals.
 */
import { Effect } from "effect"
import { HubConfig } from "../config.js"
import { messageOf } from "../shared/messages.js"
import { BoardError, serveBoard, type ServedBoard } from "./server.js"
import { loadOrCreateToken } from "./token.js"

export { BoardError, type ServedBoard } from "./server.js"

/** The port `hub board` uses when none is given and HUB_BOARD_PORT says nothing (or `off`). */
export const DEFAULT_BOARD_PORT = 4820

/**
 * Serves the board on `port` (0: any free port) with the token of `$HUB_HOME/board-token`
 * until the scope closes.
 */
export const startBoard = (port: number) =>
  Effect.gen(function* () {
    const config = yield* HubConfig
    const token = yield* Effect.try({
      try: () => loadOrCreateToken(config.home),
      catch: (error) => new BoardError({ message: `cannot keep the board's token in ${config.home}: ${messageOf(error)}` })
    })
    return yield* serveBoard({ port, token })
  }).pipe(Effect.withSpan("Board.start"))

/**
 * The board a daemon serves beside its loop, as HUB_BOARD_PORT says (`off`: none). It never
 * stops the daemon: a port in use is a warning, and dispatching goes on.
 */
export const boardBesideDaemon = Effect.gen(function* () {
  const { boardPort } = yield* HubConfig
  if (boardPort === "off") return
  yield* startBoard(boardPort).pipe(
    Effect.tap((served: ServedBoard) => Effect.logInfo(`board: ${served.url}`)),
    Effect.catchAll((error) => Effect.logWarning(`board: not served: ${error.message}`))
  )
})
