import { Context, Effect, Either, Layer, Option, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { HubConfig, hubPaths } from "../config.js"
import { InvalidInput, RepoError, WorktreeError } from "../domain/errors.js"
import { RepoName } from "../domain/Task.js"
import type { TaskId } from "../domain/TaskId.js"
import { firstErrorLine, runProcess } from "../shared/process.js"
import { tryFs } from "../shared/tryFs.js"

export interface RepoInfo {
  readonly name: string
  readonly url: string
  readonly path: string
}

/**
 * What a dispatch is about to make for a task, decided before anything is made: the undo of
 * a dispatch removes exactly what its plan says this attempt creates.
 */
export interface WorktreePlan {
  readonly dir: string
  readonly createdDir: boolean
  readonly createdBranch: boolean
  readonly repo: string | null
}

/** Why cleanup keeps a worktree; none means it may go. */
export type Keep = { readonly keep: true; readonly why: string } | { readonly keep: false }

export class Workspace extends Context.Tag("hub/Workspace")<Workspace, {
  readonly addRepo: (name: string, url: string) => Effect.Effect<RepoInfo, RepoError | InvalidInput>
  readonly listRepos: Effect.Effect<ReadonlyArray<RepoInfo>, RepoError>
  readonly hasRepo: (name: string) => Effect.Effect<boolean>
  /** `git fetch` of the bare clone; fails when the clone is missing or origin unreachable. */
  readonly fetch: (repo: string) => Effect.Effect<void, WorktreeError>
  /** Where a task's workspace is: `$HUB_HOME/workspaces/TASK-X[/<name>]`. */
  readonly dirFor: (taskId: TaskId, repo: string | null) => string
  /**
   * Decides, from the files alone (fast, no git process), what `make` will do: reuse the
   * task's worktree (a retry keeps its work), or create it on a new branch `agent/TASK-X`
   * from origin's default branch (or on the task's branch, if a worktree of it was removed).
   */
  readonly plan: (taskId: TaskId, repo: string | null) => Effect.Effect<WorktreePlan, WorktreeError>
  /** Makes what the plan says (`git worktree add`, the slow part); nothing for a reused one. */
  readonly make: (taskId: TaskId, plan: WorktreePlan) => Effect.Effect<void, WorktreeError>
  /** Removes what `make` created (worktree dir, branch), as its plan says. */
  readonly undo: (taskId: TaskId, plan: WorktreePlan) => Effect.Effect<void, WorktreeError>
  /** Whether a path exists (cleanup asks before it inspects a worktree). */
  readonly exists: (dir: string) => Effect.Effect<boolean>
  /** The names of the folders under `$HUB_HOME/workspaces`: one per task that had a workspace. */
  readonly taskDirs: Effect.Effect<ReadonlyArray<string>, WorktreeError>
  /** Whether a worktree holds work that cleanup must keep. */
  readonly inspect: (dir: string) => Effect.Effect<Keep, WorktreeError>
  /** Removes a worktree (and its branch) that holds no work at all: reconcile's undo. */
  readonly removeIfUnused: (taskId: TaskId, repo: string | null, dir: string) => Effect.Effect<boolean, WorktreeError>
  /** Removes a worktree that cleanup found safe to remove; the branch stays in the clone. */
  readonly remove: (taskId: TaskId, repo: string | null, dir: string) => Effect.Effect<void, WorktreeError>
  /**
   * `git diff --stat` of the task's branch against the commit it forked from
   * (`origin/HEAD...agent/TASK-X`, in the bare clone), and of what its worktree holds
   * uncommitted; none when the task has no repo or its branch does not exist.
   */
  readonly diffStat: (taskId: TaskId, repo: string | null) => Effect.Effect<Option.Option<DiffStat>, WorktreeError>
  readonly check: Effect.Effect<void, WorktreeError>
}>() {}

/** What a task's branch changed: `git diff --stat`'s text, committed and not yet committed. */
export interface DiffStat {
  readonly base: string
  readonly committed: string
  readonly uncommitted: string
}

const GIT_ENV = {
  GIT_TERMINAL_PROMPT: "0",
  GIT_SSH_COMMAND: "ssh -o BatchMode=yes",
  LC_ALL: "C"
}

export const branchFor = (taskId: TaskId) => `agent/${taskId}`

/**
 * Whether a bare clone (hub's: `git init --bare`, the files ref backend) has a local branch:
 * a loose ref file or a line of `packed-refs`. Read from the files, as `git rev-parse` would
 * cost a process on every dispatch.
 */
export const hasLocalBranch = (bare: string, branch: string): boolean => {
  const ref = `refs/heads/${branch}`
  if (fs.existsSync(path.join(bare, ref))) return true
  const packed = path.join(bare, "packed-refs")
  if (!fs.existsSync(packed)) return false
  return fs.readFileSync(packed, "utf8").split("\n").some((line) => line.endsWith(` ${ref}`) && !line.startsWith("^"))
}

export const makeWorkspace = Effect.gen(function* () {
  const config = yield* HubConfig
  const paths = hubPaths(config)

  const git = (args: ReadonlyArray<string>, cwd?: string) =>
    runProcess("git", args, { env: GIT_ENV, timeoutMs: config.gitTimeoutMs, ...(cwd ? { cwd } : {}) })

  const repoPath = (name: string) => path.join(paths.repos, `${name}.git`)

  const gitOk = <E>(args: ReadonlyArray<string>, cwd: string | undefined, onError: (message: string) => E) =>
    git(args, cwd).pipe(
      Effect.mapError((failure) => onError(failure.message)),
      Effect.flatMap((r) =>
        r.code === 0 ? Effect.succeed(r.stdout) : Effect.fail(onError(`git ${args[0]}: ${firstErrorLine(r.stderr)}`))
      )
    )

  const exists = (p: string) => Effect.sync(() => fs.existsSync(p))

  const removeDir = <E>(dir: string, fail: (message: string) => E) =>
    tryFs(() => fs.rmSync(dir, { recursive: true, force: true }), (message) => fail(`remove ${dir}: ${message}`))

  const taskDirs = tryFs(
    () => (fs.existsSync(paths.workspaces) ? fs.readdirSync(paths.workspaces) : []),
    (message) => new WorktreeError({ message: `cannot list ${paths.workspaces}: ${message}` })
  )

  const addRepo = (name: string, url: string) =>
    Effect.gen(function* () {
      const valid = Schema.decodeUnknownEither(RepoName)(name)
      if (Either.isLeft(valid)) {
        return yield* new InvalidInput({ message: `not a repo name: '${name}' (expected owner/name)` })
      }
      if (url.trim() === "" || url.startsWith("-")) return yield* new InvalidInput({ message: `not a repo URL: '${url}'` })
      const dir = repoPath(name)
      if (yield* exists(dir)) return yield* new RepoError({ repo: name, message: `repo ${name} is already added (${dir})` })
      // A local path is resolved now: the clone must not depend on where hub was started.
      const source = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]+@[^/]+:/.test(url) ? url : path.resolve(url)
      const fail = (message: string) => new RepoError({ repo: name, message: `cannot add ${name}: ${message}` })
      const build = Effect.gen(function* () {
        yield* tryFs(() => fs.mkdirSync(dir, { recursive: true }), fail)
        yield* gitOk(["init", "--bare", "--quiet", dir], undefined, fail)
        yield* gitOk(["remote", "add", "origin", "--", source], dir, fail)
        yield* gitOk(["fetch", "--quiet", "origin"], dir, fail)
        yield* gitOk(["remote", "set-head", "origin", "--auto"], dir, fail)
      })
      // Nothing half-made stays behind, whatever stopped the clone.
      yield* build.pipe(
        Effect.onExit((exit) =>
          exit._tag === "Success" ? Effect.void : tryFs(() => {
            fs.rmSync(dir, { recursive: true, force: true })
            const owner = path.dirname(dir)
            if (fs.existsSync(owner) && fs.readdirSync(owner).length === 0) fs.rmdirSync(owner)
          }, fail).pipe(Effect.catchAll((error) => Effect.logWarning(`${error.message}: remove ${dir} by hand`)))
        )
      )
      return { name, url: source, path: dir }
    })

  const listRepos = Effect.gen(function* () {
    const found: Array<{ name: string; path: string }> = yield* tryFs(() => {
      if (!fs.existsSync(paths.repos)) return []
      return fs.readdirSync(paths.repos, { withFileTypes: true }).filter((d) => d.isDirectory()).flatMap((owner) =>
        fs.readdirSync(path.join(paths.repos, owner.name), { withFileTypes: true })
          .filter((d) => d.isDirectory() && d.name.endsWith(".git"))
          .map((d) => ({
            name: `${owner.name}/${d.name.slice(0, -4)}`,
            path: path.join(paths.repos, owner.name, d.name)
          }))
      ).sort((a, b) => a.name.localeCompare(b.name))
    }, (message) => new RepoError({ message: `cannot list ${paths.repos}: ${message}` }))
    return yield* Effect.forEach(found, (repo) =>
      git(["config", "--get", "remote.origin.url"], repo.path).pipe(
        Effect.map((r) => ({ ...repo, url: r.stdout.trim() })),
        Effect.mapError((e) => new RepoError({ repo: repo.name, message: e.message }))
      ))
  })

  const hasRepo = (name: string) => exists(path.join(repoPath(name), "HEAD"))

  const fetch = (repo: string) =>
    Effect.gen(function* () {
      const dir = repoPath(repo)
      const fail = (message: string) => new WorktreeError({ message: `fetch ${repo}: ${message}` })
      if (!(yield* hasRepo(repo))) return yield* fail(`no clone at ${dir} (run: hub repo add ${repo} URL)`)
      yield* gitOk(["fetch", "--quiet", "--prune", "origin"], dir, fail)
    })

  const dirFor = (taskId: TaskId, repo: string | null) =>
    repo === null ? path.join(paths.workspaces, taskId) : path.join(paths.workspaces, taskId, repo.split("/")[1]!)

  const isWorktree = (dir: string) => exists(path.join(dir, ".git"))

  const plan = (taskId: TaskId, repo: string | null) =>
    Effect.gen(function* () {
      const dir = dirFor(taskId, repo)
      const fail = (message: string) => new WorktreeError({ taskId, message })
      if (repo === null) return { dir, createdDir: !(yield* exists(dir)), createdBranch: false, repo }
      const bare = repoPath(repo)
      if (!(yield* hasRepo(repo))) return yield* fail(`repo ${repo} has no clone at ${bare} (run: hub repo add ${repo} URL)`)
      if (yield* isWorktree(dir)) return { dir, createdDir: false, createdBranch: false, repo }
      if (yield* exists(dir)) return yield* fail(`${dir} exists but is not a git worktree`)
      const hasBranch = yield* Effect.try({
        try: () => hasLocalBranch(bare, branchFor(taskId)),
        catch: (e) => fail(`cannot read the refs of ${bare}: ${(e as Error).message}`)
      })
      return { dir, createdDir: true, createdBranch: !hasBranch, repo }
    })

  const make = (taskId: TaskId, plan: WorktreePlan) =>
    Effect.gen(function* () {
      const fail = (message: string) => new WorktreeError({ taskId, message })
      if (plan.repo === null) {
        return yield* Effect.try({
          try: () => void fs.mkdirSync(plan.dir, { recursive: true }),
          catch: (e) => fail(`mkdir ${plan.dir}: ${(e as Error).message}`)
        })
      }
      if (!plan.createdDir) return
      const bare = repoPath(plan.repo)
      const branch = branchFor(taskId)
      const args = plan.createdBranch
        ? ["worktree", "add", "--quiet", "--no-track", "-b", branch, plan.dir, "refs/remotes/origin/HEAD"]
        : ["worktree", "add", "--quiet", plan.dir, branch]
      const added = yield* git(args, bare).pipe(Effect.mapError((e) => fail(`worktree for ${plan.repo}: ${e.message}`)))
      if (added.code !== 0) {
        // A stale registration (its directory deleted by hand) refuses the add: prune, then
        // once more. Pruning only then keeps the common case to one git process.
        yield* git(["worktree", "prune"], bare).pipe(Effect.ignore)
        yield* gitOk(args, bare, (m) => fail(`worktree for ${plan.repo}: ${m}`))
      }
    }).pipe(Effect.withSpan("Workspace.make"))

  const undo = (taskId: TaskId, plan: WorktreePlan) =>
    Effect.gen(function* () {
      const fail = (message: string) => new WorktreeError({ taskId, message })
      if (plan.repo !== null) {
        const bare = repoPath(plan.repo)
        if (plan.createdDir) {
          yield* git(["worktree", "remove", "--force", "--force", plan.dir], bare).pipe(Effect.ignore)
        }
        if (plan.createdDir || plan.createdBranch) {
          yield* removeDir(plan.dir, fail)
          yield* git(["worktree", "prune"], bare).pipe(Effect.ignore)
        }
        if (plan.createdBranch) {
          const r = yield* git(["branch", "-D", branchFor(taskId)], bare).pipe(Effect.mapError((e) => fail(e.message)))
          if (r.code !== 0 && !/not found/.test(r.stderr)) return yield* fail(`git branch -D: ${firstErrorLine(r.stderr)}`)
        }
      } else if (plan.createdDir) {
        yield* removeDir(plan.dir, fail)
      }
      // The task folder itself goes too when this dispatch made it and nothing else is in it.
      yield* tryFs(() => {
        const taskDir = path.join(paths.workspaces, taskId)
        if (fs.existsSync(taskDir) && fs.readdirSync(taskDir).length === 0) fs.rmdirSync(taskDir)
      }, fail)
    })

  const inspect = (dir: string) =>
    Effect.gen(function* () {
      const fail = (message: string) => new WorktreeError({ message })
      if (!(yield* isWorktree(dir))) return { keep: true as const, why: "not a git worktree" }
      const status = yield* gitOk(["status", "--porcelain", "--untracked-files=all"], dir, fail)
      if (status.trim() !== "") {
        const untracked = status.split("\n").some((l) => l.startsWith("??"))
        return { keep: true as const, why: untracked ? "untracked files" : "uncommitted changes" }
      }
      const upstream = yield* git(["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"], dir).pipe(
        Effect.mapError((e) => fail(e.message))
      )
      // No upstream: nothing proves the commits are safe elsewhere.
      if (upstream.code !== 0) return { keep: true as const, why: "branch has no upstream" }
      const ahead = yield* gitOk(["rev-list", "--count", "@{upstream}..HEAD"], dir, fail)
      return Number(ahead.trim()) === 0 ? { keep: false as const } : { keep: true as const, why: `${ahead.trim()} unpushed commit(s)` }
    })

  const removeIfUnused = (taskId: TaskId, repo: string | null, dir: string) =>
    Effect.gen(function* () {
      const fail = (message: string) => new WorktreeError({ taskId, message })
      if (!(yield* exists(dir))) return false
      if (repo === null) {
        const empty = yield* tryFs(() => fs.readdirSync(dir).length === 0, fail)
        if (empty) yield* undo(taskId, { dir, repo, createdDir: true, createdBranch: false })
        return empty
      }
      const bare = repoPath(repo)
      const branch = branchFor(taskId)
      // A branch with no commit of its own holds no work: origin has all of it.
      const branchIsEmpty = Effect.gen(function* () {
        const has = yield* git(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], bare).pipe(Effect.mapError((e) => fail(e.message)))
        if (has.code !== 0) return false
        const own = yield* gitOk(["rev-list", "--count", `refs/heads/${branch}`, "--not", "--remotes=origin"], bare, fail)
        return Number(own.trim()) === 0
      })
      if (!(yield* isWorktree(dir))) {
        // A `git worktree add` killed half-way: the folder never became a worktree.
        yield* undo(taskId, { dir, repo, createdDir: true, createdBranch: yield* branchIsEmpty })
        return true
      }
      const status = yield* gitOk(["status", "--porcelain", "--untracked-files=all"], dir, fail)
      if (status.trim() !== "") return false
      const own = yield* gitOk(["rev-list", "--count", "HEAD", "--not", "--remotes=origin"], dir, fail)
      if (Number(own.trim()) !== 0) return false
      yield* undo(taskId, { dir, repo, createdDir: true, createdBranch: true })
      return true
    })

  const remove = (taskId: TaskId, repo: string | null, dir: string) =>
    undo(taskId, { dir, repo, createdDir: true, createdBranch: false })

  const diffStat = (taskId: TaskId, repo: string | null) =>
    Effect.gen(function* () {
      if (repo === null || !(yield* hasRepo(repo))) return Option.none<DiffStat>()
      const fail = (message: string) => new WorktreeError({ taskId, message })
      const bare = repoPath(repo)
      const branch = branchFor(taskId)
      const has = yield* git(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], bare).pipe(Effect.mapError((e) => fail(e.message)))
      if (has.code !== 0) return Option.none<DiffStat>()
      const base = "origin/HEAD"
      const committed = yield* gitOk(["diff", "--stat", "--no-color", `refs/remotes/${base}...refs/heads/${branch}`, "--"], bare, fail)
      const dir = dirFor(taskId, repo)
      // What the agent has not committed yet is its work too.
      const uncommitted = (yield* isWorktree(dir)) ? yield* gitOk(["diff", "--stat", "--no-color", "HEAD", "--"], dir, fail) : ""
      return Option.some({ base, committed: committed.trimEnd(), uncommitted: uncommitted.trimEnd() })
    })

  const check = git(["--version"]).pipe(
    Effect.flatMap((r) => r.code === 0 ? Effect.void : Effect.fail(new WorktreeError({ message: "git --version failed" }))),
    Effect.mapError((e) => new WorktreeError({ message: `git is not usable: ${e.message}` }))
  )

  return Workspace.of({
    addRepo, listRepos, hasRepo, fetch, dirFor, plan, make, undo, exists, taskDirs, inspect, removeIfUnused, remove, diffStat, check
  })
})

/** git under `$HUB_HOME/repos` and `$HUB_HOME/workspaces`. */
export const WorkspaceLive = Layer.effect(Workspace, makeWorkspace)
