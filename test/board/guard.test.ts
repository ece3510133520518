import { describe, expect, it } from "@effect/vitest"
import { type Asked, check } from "../../src/board/guard.js"

const board = { port: 4820, token: "t".repeat(43) }
const asked = (over: Partial<Asked>): Asked => ({
  method: "GET",
  url: "/api/tasks",
  host: "127.0.0.1:4820",
  origin: undefined,
  authorization: `Bearer ${board.token}`,
  cookies: {},
  ...over
})

describe("the board's guard", () => {
  it.each([
    ["the Bearer token", asked({}), "Pass"],
    ["the cookie", asked({ authorization: undefined, cookies: { hub_board_4820: board.token } }), "Pass"],
    ["localhost", asked({ host: "LOCALHOST:4820" }), "Pass"],
    ["a POST from the board's Origin", asked({ method: "POST", origin: "http://127.0.0.1:4820" }), "Pass"],
    ["a POST from localhost's Origin", asked({ method: "POST", origin: "http://localhost:4820" }), "Pass"]
  ])("passes %s", (_, request, verdict) => {
    expect(check(request, board)._tag).toBe(verdict)
  })

  it.each([
    ["no Host", asked({ host: undefined }), 403],
    ["a foreign Host (rebinding)", asked({ host: "evil.example:4820" }), 403],
    ["another port", asked({ host: "127.0.0.1:4821" }), 403],
    ["no token", asked({ authorization: undefined }), 401],
    ["a wrong Bearer", asked({ authorization: "Bearer nope" }), 401],
    ["a token of another length", asked({ authorization: `Bearer ${board.token}x` }), 401],
    ["a wrong cookie", asked({ authorization: undefined, cookies: { hub_board_4820: "nope" } }), 401],
    ["another board's cookie", asked({ authorization: undefined, cookies: { hub_board_4821: board.token } }), 401],
    ["a wrong token in the URL", asked({ url: "/?token=nope", authorization: undefined }), 401],
    ["a POST without Origin", asked({ method: "POST" }), 403],
    ["a POST from a foreign Origin", asked({ method: "POST", origin: "http://evil.example" }), 403],
    ["a DELETE from a foreign Origin", asked({ method: "DELETE", origin: "http://127.0.0.1:1" }), 403],
    ["a PUT with Origin null", asked({ method: "PUT", origin: "null" }), 403],
    ["the Host checked before the token", asked({ host: "evil.example", authorization: undefined }), 403]
  ])("refuses %s", (_, request, status) => {
    const verdict = check(request, board)
    expect(verdict._tag === "Refuse" ? verdict.status : verdict._tag).toBe(status)
  })

  it("a token in the URL redirects to the same URL without it (other parameters kept)", () => {
    expect(check(asked({ url: `/?token=${board.token}`, authorization: undefined }), board)).toEqual({ _tag: "Redirect", location: "/" })
    expect(check(asked({ url: `/x?a=1&token=${board.token}&b=2`, authorization: undefined }), board)).toEqual({
      _tag: "Redirect",
      location: "/x?a=1&b=2"
    })
  })
})
