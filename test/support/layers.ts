import { Layer, Option } from "effect"
import { HubConfigFrom, type HubSettings } from "../../src/config.js"
import { HubServices } from "../../src/layers.js"
import type { Sandbox } from "./sandbox.js"

/** HubConfig for a sandbox: its HUB_HOME, HOME and private tmux server. */
export const sandboxConfig = (sandbox: Sandbox, overrides: Partial<HubSettings> = {}) =>
  HubConfigFrom({
    home: sandbox.hubHome,
    userHome: sandbox.home,
    tmuxSocket: Option.some(sandbox.socket),
    agentCommand: Option.some("sleep 600"),
    tmuxTimeoutMs: 5_000,
    gitTimeoutMs: 30_000,
    // A sandbox on PostgreSQL (its env names the database) uses it in-process too.
    databaseUrl: Option.fromNullable(sandbox.env.HUB_DATABASE_URL),
    ...overrides
  })

/** The real services (SQLite file, git, tmux) inside a sandbox. */
export const sandboxServices = (sandbox: Sandbox, overrides: Partial<HubSettings> = {}) =>
  HubServices.pipe(Layer.provideMerge(sandboxConfig(sandbox, overrides)))
