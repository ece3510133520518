/**
 * `hub repo add owner/name <path>` and `hub repo list [--json]` through the built bin, with real
 * git repositories in temp dirs. A bad name or an unreachable source is exit 1 with one line,
 * and leaves nothing half-made under $HUB_HOME/repos.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { makeOriginRepo, makeSandbox, type Sandbox } from "../support/sandbox.js"
import { ensureBuilt, failsWith, hub, ok, okJson } from "./helpers.js"

beforeAll(ensureBuilt, 180_000)

const git = (cwd: string, ...args: Array<string>) =>
  execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim()

/** Every file and directory under `dir`, relative to it; [] when `dir` does not exist. */
const tree = (dir: string): Array<string> =>
  fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as Array<string>).sort() : []

describe("hub repo add / list", () => {
  let sb: Sandbox
  let origin: string
  beforeAll(() => {
    sb = makeSandbox("cli-repo")
    origin = makeOriginRepo(path.join(sb.dir, "origin"))
  })
  afterAll(() => sb?.dispose())

  it("lists nothing before any repo is added", async () => {
    expect(okJson(await hub(sb, ["repo", "list", "--json"]))).toEqual([])
    expect(ok(await hub(sb, ["repo", "list"]))).not.toContain(".git")
  })

  it("makes a bare clone at $HUB_HOME/repos/owner/name.git with origin/main and origin/HEAD", async () => {
    const out = ok(await hub(sb, ["repo", "add", "acme/widget", origin]))
    const bare = path.join(sb.hubHome, "repos", "acme", "widget.git")
    expect(out).toContain("acme/widget")
    expect(git(bare, "rev-parse", "--is-bare-repository")).toBe("true")
    const head = git(origin, "rev-parse", "refs/heads/main")
    expect(git(bare, "rev-parse", "refs/remotes/origin/main")).toBe(head)
    expect(git(bare, "symbolic-ref", "refs/remotes/origin/HEAD")).toBe("refs/remotes/origin/main")
    expect(git(bare, "rev-parse", "refs/remotes/origin/HEAD")).toBe(head)
    // A fetch refspec, so a later `git fetch` keeps refs/remotes/origin/* current.
    expect(git(bare, "config", "--get", "remote.origin.fetch")).toBe("+refs/heads/*:refs/remotes/origin/*")
    expect(git(bare, "config", "--get", "remote.origin.url")).toBe(origin)
  })

  it("resolves a relative path against the working directory", async () => {
    // hub runs in the sandbox directory, where ./origin is.
    ok(await hub(sb, ["repo", "add", "acme/relative", "origin"]))
    const bare = path.join(sb.hubHome, "repos", "acme", "relative.git")
    expect(git(bare, "config", "--get", "remote.origin.url")).toBe(origin)
    expect(git(bare, "rev-parse", "refs/remotes/origin/HEAD")).toBe(git(origin, "rev-parse", "HEAD"))
  })

  it("repo list prints the repos as a table and as JSON", async () => {
    const repos = okJson<Array<{ name: string; url: string; path: string }>>(await hub(sb, ["repo", "list", "--json"]))
    expect(repos.map((r) => r.name)).toEqual(["acme/relative", "acme/widget"])
    expect(repos.find((r) => r.name === "acme/widget")).toMatchObject({
      url: origin,
      path: path.join(sb.hubHome, "repos", "acme", "widget.git")
    })
    const text = ok(await hub(sb, ["repo", "list"]))
    expect(text).toMatch(/acme\/widget\s/)
    expect(text).toMatch(/acme\/relative\s/)
    expect(text).toContain(origin)
  })

  it("refuses to add a name twice and keeps the existing clone", async () => {
    const bare = path.join(sb.hubHome, "repos", "acme", "widget.git")
    const before = tree(path.join(sb.hubHome, "repos"))
    failsWith(await hub(sb, ["repo", "add", "acme/widget", origin]), 1, /acme\/widget/)
    expect(tree(path.join(sb.hubHome, "repos"))).toEqual(before)
    expect(git(bare, "rev-parse", "refs/remotes/origin/main")).toBe(git(origin, "rev-parse", "HEAD"))
  })

  it("a failed add next to an existing repo leaves the owner's other clones alone", async () => {
    const before = tree(path.join(sb.hubHome, "repos"))
    failsWith(await hub(sb, ["repo", "add", "acme/broken", path.join(sb.dir, "missing")]), 1, /acme\/broken/)
    expect(tree(path.join(sb.hubHome, "repos"))).toEqual(before)
    expect(fs.existsSync(path.join(sb.hubHome, "repos", "acme", "broken.git"))).toBe(false)
  })
})

describe("hub repo add with a bad name or an unreachable source", () => {
  let sb: Sandbox
  let origin: string
  let notGit: string
  beforeAll(() => {
    sb = makeSandbox("cli-repo-bad")
    origin = makeOriginRepo(path.join(sb.dir, "origin"))
    notGit = path.join(sb.dir, "plain-dir")
    fs.mkdirSync(notGit)
    fs.writeFileSync(path.join(notGit, "file.txt"), "not a repository\n")
  })
  afterAll(() => sb?.dispose())

  const cases: ReadonlyArray<readonly [what: string, name: string, source: () => string, message: RegExp]> = [
    ["no owner", "widget", () => origin, /widget/],
    ["too many parts", "acme/widget/extra", () => origin, /acme\/widget\/extra/],
    ["a '..' part", "acme/..", () => origin, /acme\/\.\./],
    ["a leading '..'", "../widget", () => origin, /\.\.\/widget/],
    ["a .git suffix", "acme/widget.git", () => origin, /widget\.git/],
    ["a space", "acme/my widget", () => origin, /my widget/],
    ["an empty name", "", () => origin, /name/],
    ["a path that does not exist", "acme/missing", () => path.join(sb.dir, "does", "not", "exist"), /acme\/missing/],
    ["a directory that is not a git repo", "acme/plain", () => notGit, /acme\/plain/],
    ["a file:// URL to nowhere", "acme/nowhere", () => `file://${path.join(sb.dir, "nowhere.git")}`, /acme\/nowhere/]
  ]

  for (const [what, name, source, message] of cases) {
    it(`${what} (${JSON.stringify(name)}): exit 1, one line, nothing under $HUB_HOME/repos`, async () => {
      failsWith(await hub(sb, ["repo", "add", name, source()]), 1, message)
      expect(tree(path.join(sb.hubHome, "repos"))).toEqual([])
    })
  }

  it("after all of them, repo list is still empty", async () => {
    expect(okJson(await hub(sb, ["repo", "list", "--json"]))).toEqual([])
  })
})
