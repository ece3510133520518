/**
 * Who may talk to the board, decided before any route runs. Loopback is not a wall: any page
 * the user visits can send requests to 127.0.0.1 (a form POST needs no CORS), and DNS
 * rebinding lets a page read the answers. So: only the board's own Host, a secret token on
 * every request, and changes only by POST/PUT/DELETE from the board's own Origin. Pure: the
 * server asks it with the request's parts.
 */
import { timingSafeEqual } from "node:crypto"

export interface Asked {
  readonly method: string
  /** The path and query, as the request line has them. */
  readonly url: string
  readonly host: string | undefined
  readonly origin: string | undefined
  readonly authorization: string | undefined
  readonly cookies: Readonly<Record<string, string>>
}

export interface Board {
  readonly port: number
  readonly token: string
}

export type Verdict =
  | { readonly _tag: "Pass" }
  | { readonly _tag: "Refuse"; readonly status: 401 | 403; readonly message: string }
  /** The token came in the URL: set the cookie and send the browser to the URL without it. */
  | { readonly _tag: "Redirect"; readonly location: string }

/** The cookie's name carries the port: two boards on one machine keep a cookie each. */
export const cookieName = (port: number) => `hub_board_${port}`

export const hostsOf = (port: number) => [`127.0.0.1:${port}`, `localhost:${port}`]
export const originsOf = (port: number) => hostsOf(port).map((host) => `http://${host}`)

/** The methods that change state; GET and HEAD never do. */
export const isChange = (method: string) => method === "POST" || method === "PUT" || method === "DELETE"

const same = (given: string, token: string) => {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

export const check = (asked: Asked, board: Board): Verdict => {
  if (asked.host === undefined || !hostsOf(board.port).includes(asked.host.toLowerCase())) {
    return { _tag: "Refuse", status: 403, message: "forbidden: this board answers only to 127.0.0.1 or localhost on its port" }
  }
  const url = new URL(asked.url, "http://board.invalid")
  const inUrl = url.searchParams.get("token")
  if (inUrl !== null && (asked.method === "GET" || asked.method === "HEAD")) {
    if (!same(inUrl, board.token)) return { _tag: "Refuse", status: 401, message: "unauthorized: wrong token" }
    url.searchParams.delete("token")
    return { _tag: "Redirect", location: `${url.pathname}${url.search}` }
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(asked.authorization ?? "")?.[1]
  const given = bearer ?? asked.cookies[cookieName(board.port)]
  if (given === undefined) {
    return { _tag: "Refuse", status: 401, message: "unauthorized: open the URL with ?token= that hub board printed, or send Authorization: Bearer <token>" }
  }
  if (!same(given, board.token)) return { _tag: "Refuse", status: 401, message: "unauthorized: wrong token" }
  if (isChange(asked.method) && (asked.origin === undefined || !originsOf(board.port).includes(asked.origin.toLowerCase()))) {
    return { _tag: "Refuse", status: 403, message: "forbidden: a change needs the board's own Origin" }
  }
  return { _tag: "Pass" }
}
