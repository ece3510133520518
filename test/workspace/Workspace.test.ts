/** The git service against real repositories in a temp dir. */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import { TaskId } from "../../src/domain/TaskId.js"
import { branchFor, hasLocalBranch, Workspace, WorkspaceLive } from "../../src/workspace/Workspace.js"
import { gitOk } from "../support/hubProcess.js"
import { sandboxConfig } from "../support/layers.js"
import { makeOriginRepo, makeSandbox } from "../support/sandbox.js"

const TASK = TaskId.make("TASK-0001")

/** A sandbox with `acme/app` added; returns the service and the bare clone's path. */
const withRepo = <A, E>(use: (w: Workspace["Type"], bare: string) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const sandbox = makeSandbox("ws")
    yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
    const workspace = yield* Effect.provide(Workspace, WorkspaceLive.pipe(Layer.provide(sandboxConfig(sandbox))))
    const origin = makeOriginRepo(path.join(sandbox.dir, "origin"))
    const repo = yield* workspace.addRepo("acme/app", origin)
    return yield* use(workspace, repo.path)
  })

/** What a dispatch does: plan, then make what the plan says. */
const prepare = (workspace: Workspace["Type"]) =>
  Effect.flatMap(workspace.plan(TASK, "acme/app"), (plan) => Effect.as(workspace.make(TASK, plan), plan))

describe("Workspace.plan and make", () => {
  it.scoped("a first attempt makes the worktree on a new branch; a second reuses it and made nothing", () =>
    withRepo((workspace, bare) =>
      Effect.gen(function* () {
        const made = yield* prepare(workspace)
        expect(made).toMatchObject({ createdDir: true, createdBranch: true })
        expect(gitOk(made.dir, "rev-parse", "--abbrev-ref", "HEAD").trim()).toBe(branchFor(TASK))
        expect(hasLocalBranch(bare, branchFor(TASK))).toBe(true)
        expect(yield* prepare(workspace)).toMatchObject({ createdDir: false, createdBranch: false })
      })))

  it.scoped("finds the task's branch whether its ref is loose or packed, and then does not claim it as made", () =>
    withRepo((workspace, bare) =>
      Effect.gen(function* () {
        const made = yield* prepare(workspace)
        yield* workspace.undo(TASK, { ...made, createdBranch: false })
        expect(fs.existsSync(made.dir)).toBe(false)
        gitOk(bare, "pack-refs", "--all")
        expect(fs.existsSync(path.join(bare, "refs", "heads", branchFor(TASK)))).toBe(false)
        expect(hasLocalBranch(bare, branchFor(TASK))).toBe(true)
        expect(hasLocalBranch(bare, "agent/TASK-000")).toBe(false)
        const again = yield* prepare(workspace)
        expect(again).toMatchObject({ createdDir: true, createdBranch: false })
        expect(gitOk(again.dir, "rev-parse", "--abbrev-ref", "HEAD").trim()).toBe(branchFor(TASK))
      })))

  it.scoped("a worktree whose directory was deleted by hand is pruned and made again", () =>
    withRepo((workspace, bare) =>
      Effect.gen(function* () {
        const made = yield* prepare(workspace)
        fs.rmSync(made.dir, { recursive: true, force: true })
        expect(gitOk(bare, "worktree", "list", "--porcelain")).toContain(made.dir)
        const again = yield* prepare(workspace)
        expect(again).toMatchObject({ createdDir: true, createdBranch: false })
        expect(fs.existsSync(path.join(again.dir, "README.md"))).toBe(true)
      })))

  it.scoped("the plan is made before git runs and makes nothing, so an undo knows what this attempt made", () =>
    withRepo((workspace, bare) =>
      Effect.gen(function* () {
        const made = yield* workspace.plan(TASK, "acme/app")
        expect(made).toMatchObject({ createdDir: true, createdBranch: true })
        expect(fs.existsSync(made.dir)).toBe(false)
        expect(hasLocalBranch(bare, branchFor(TASK))).toBe(false)
        yield* workspace.make(TASK, made)
        expect(fs.existsSync(made.dir)).toBe(true)
        yield* workspace.undo(TASK, made)
        expect(hasLocalBranch(bare, branchFor(TASK))).toBe(false)
        expect(fs.existsSync(made.dir)).toBe(false)
      })))
})

describe("Workspace: a filesystem error is a typed failure, never a defect", () => {
  it.scoped("with $HUB_HOME/workspaces a plain file: listing and making fail as WorktreeError with the system's message", () =>
    Effect.gen(function* () {
      const sandbox = makeSandbox("ws-fs")
      yield* Effect.addFinalizer(() => Effect.sync(sandbox.dispose))
      fs.mkdirSync(sandbox.hubHome, { recursive: true })
      fs.writeFileSync(path.join(sandbox.hubHome, "workspaces"), "not a folder")
      const workspace = yield* Effect.provide(Workspace, WorkspaceLive.pipe(Layer.provide(sandboxConfig(sandbox))))
      const listed = yield* Effect.exit(workspace.taskDirs)
      expect(listed).toMatchObject({ _tag: "Failure", cause: { _tag: "Fail", error: { _tag: "WorktreeError" } } })
      expect(JSON.stringify(listed)).toMatch(/ENOTDIR/)
      const plan = yield* workspace.plan(TASK, null)
      const made = yield* Effect.exit(workspace.make(TASK, plan))
      expect(made).toMatchObject({ _tag: "Failure", cause: { _tag: "Fail", error: { _tag: "WorktreeError", taskId: TASK } } })
      const undone = yield* Effect.exit(workspace.removeIfUnused(TASK, null, path.join(sandbox.hubHome, "workspaces")))
      expect(undone).toMatchObject({ _tag: "Failure", cause: { _tag: "Fail", error: { _tag: "WorktreeError" } } })
    }))
})
