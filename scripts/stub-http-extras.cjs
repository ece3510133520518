// What @effect/platform-node's HTTP server imports beside the server itself, never used by hub's
// board: undici (NodeHttpClient, for the platform's test layer), ws (WebSocket upgrades: the
// board accepts none) and mime (serving files from disk: the board's files are in memory).
// Half a megabyte that every start of the full CLI would read. Anything that did use them
// fails at once, never silently.
"use strict"
const unused = (what) => () => {
  throw new Error(`${what} is not part of the hub bundle`)
}
class WebSocketServer {
  constructor() {
    unused("ws")()
  }
}
module.exports = {
  WebSocketServer,
  WebSocket: WebSocketServer,
  getType: () => "application/octet-stream",
  Agent: WebSocketServer,
  Dispatcher: WebSocketServer,
  request: unused("undici"),
  default: { getType: () => "application/octet-stream" }
}
