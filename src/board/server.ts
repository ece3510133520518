/**
 * The board's HTTP server: @effect/platform's router on Node's http server, bound to
 * 127.0.0.1 only. Every request passes the guard (guard.ts) first; the routes are the JSON API
 * (documented in the README) and the page's three files.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Data, Effect } from "effect"
import * as http from "node:http"
import { causeMessage, messageOf } from "../shared/messages.js"
import { type Feed, makeFeed } from "./feed.js"
import { check, cookieName, isChange } from "./guard.js"
import { act, comment, CommentBody, createTask, CreateBody, detail, diff, pane } from "./operations.js"
import { ASSETS } from "./page/assets.js"
import { isAction } from "./view.js"

export class BoardError extends Data.TaggedError("BoardError")<{ readonly message: string }> {}

export interface ServedBoard {
  readonly port: number
  /** What to open: the URL with the token, once (it then lives in a cookie). */
  readonly url: string
}

/**
 * Sent with every answer: the page loads only its own files, cannot be framed, leaks no URL
 * (its token) to a link's target, and nothing is cached. No CORS header, ever.
 */
const SECURITY = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store"
}

const refusal = (status: number, message: string) => HttpServerResponse.unsafeJson({ error: message }, { status })

/** Each failure as the page shows it: one line, and the status that says what kind it was. */
const STATUS_OF: Readonly<Record<string, number>> = {
  InvalidInput: 400,
  ParseError: 400,
  RequestError: 400,
  TaskNotFound: 404,
  RouteNotFound: 404,
  InvalidTransition: 409
}
const failed = (error: unknown) => {
  const tag = (error as { readonly _tag?: string })._tag ?? ""
  const status = STATUS_OF[tag] ?? 500
  const message = tag === "ParseError" ? "the request body is not what this call takes (see the README's board API)" : messageOf(error)
  return Effect.succeed(refusal(status, message))
}

const json = (body: unknown, status = 200) => HttpServerResponse.unsafeJson(body, { status })
const idParam = Effect.map(HttpRouter.params, (p) => p.id ?? "")

const routes = (feed: Feed) => {
  const asset = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const file = ASSETS[new URL(request.url, "http://board.invalid").pathname]
    return file === undefined
      ? Effect.succeed(refusal(404, "not found"))
      : Effect.succeed(HttpServerResponse.text(file.body, { contentType: file.type }))
  })
  /** An action path asked with GET (a link, an <img>): changes happen only by POST. */
  const changeOnly = <E, R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      isChange(request.method) ? handler : Effect.succeed(refusal(403, "forbidden: a change needs POST from the board's own page")))
  return HttpRouter.empty.pipe(
    HttpRouter.get("/", asset),
    HttpRouter.get("/board.js", asset),
    HttpRouter.get("/board.css", asset),
    HttpRouter.get("/api/tasks", Effect.map(feed.json, (body) => HttpServerResponse.text(body, { contentType: "application/json" }))),
    HttpRouter.get(
      "/api/events",
      Effect.succeed(HttpServerResponse.stream(feed.events, {
        contentType: "text/event-stream",
        headers: { "x-accel-buffering": "no" }
      }))
    ),
    HttpRouter.post(
      "/api/tasks",
      Effect.gen(function* () {
        const body = yield* HttpServerRequest.schemaBodyJson(CreateBody)
        return json({ task: yield* createTask(body) }, 201)
      })
    ),
    HttpRouter.get("/api/tasks/:id", Effect.map(Effect.flatMap(idParam, detail), (d) => json(d))),
    HttpRouter.get("/api/tasks/:id/pane", Effect.map(Effect.flatMap(idParam, pane), (p) => json(p))),
    HttpRouter.get("/api/tasks/:id/diff", Effect.map(Effect.flatMap(idParam, diff), (d) => json(d))),
    HttpRouter.all(
      "/api/tasks/:id/comments",
      changeOnly(Effect.gen(function* () {
        const body = yield* HttpServerRequest.schemaBodyJson(CommentBody)
        return json({ task: yield* comment(yield* idParam, body) })
      }))
    ),
    HttpRouter.all(
      "/api/tasks/:id/:action",
      changeOnly(Effect.gen(function* () {
        const { action = "" } = yield* HttpRouter.params
        if (!isAction(action)) return refusal(404, `no such action: '${action}' (ready, cancel or retry)`)
        return json({ task: yield* act(yield* idParam, action) })
      }))
    )
  )
}

/**
 * Serves the board on 127.0.0.1:`port` (0: any free port) until the scope closes. A port in
 * use (or any failure to listen) is a BoardError with one line.
 */
export const serveBoard = (options: { readonly port: number; readonly token: string }) =>
  Effect.gen(function* () {
    let node: http.Server | undefined
    const server = yield* NodeHttpServer.make(() => (node = http.createServer()), { host: "127.0.0.1", port: options.port }).pipe(
      Effect.mapError((error) => {
        const code = (error.cause as NodeJS.ErrnoException | undefined)?.code
        return new BoardError({
          message: code === "EADDRINUSE"
            ? `port ${options.port} is in use (choose another with --port or HUB_BOARD_PORT)`
            : `cannot serve the board on 127.0.0.1:${options.port}: ${messageOf(error.cause)}`
        })
      })
    )
    // Open event streams never end by themselves: close them, or the server never stops.
    yield* Effect.addFinalizer(() => Effect.sync(() => node?.closeAllConnections()))
    const port = server.address._tag === "TcpAddress" ? server.address.port : options.port
    const board = { port, token: options.token }
    const feed = yield* makeFeed
    const router = yield* HttpRouter.toHttpApp(routes(feed))
    const app = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const verdict = check({
        method: request.method,
        url: request.url,
        host: request.headers.host,
        origin: request.headers.origin,
        authorization: request.headers.authorization,
        cookies: request.cookies
      }, board)
      if (verdict._tag === "Refuse") return refusal(verdict.status, verdict.message)
      if (verdict._tag === "Redirect") {
        return yield* HttpServerResponse.redirect(verdict.location, { status: 303 }).pipe(
          HttpServerResponse.setCookies([[cookieName(port), options.token, { httpOnly: true, sameSite: "strict", path: "/" }]]),
          Effect.orDie
        )
      }
      return yield* router.pipe(Effect.catchAll(failed))
    }).pipe(
      // A bug in a route is one log line and a 500, never a stack trace to the page.
      Effect.catchAllCause((cause) =>
        Effect.as(Effect.logError(`board: ${causeMessage(cause)}`), refusal(500, `internal error: ${causeMessage(cause)}`))),
      Effect.map(HttpServerResponse.setHeaders(SECURITY))
    )
    yield* server.serve(app)
    return { port, url: `http://127.0.0.1:${port}/?token=${options.token}` } satisfies ServedBoard
  })
