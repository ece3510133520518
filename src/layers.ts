import { Layer } from "effect"
import { AgentLive } from "./agent/Agent.js"
import { type HubConfig, HubConfigLive } from "./config.js"
import { HostLive } from "./host/Host.js"
import type { Changes } from "./store/Changes.js"
import type { TaskStore } from "./store/TaskStore.js"
import { PatientStoreLive, StoreLive } from "./store/Database.js"
import { TerminalLive } from "./terminal/Terminal.js"
import { WorkspaceLive } from "./workspace/Workspace.js"

/** Every hub service but the store's, which `store` brings. */
const servicesWith = <E>(store: Layer.Layer<TaskStore | Changes, E, HubConfig>) =>
  Layer.mergeAll(store, WorkspaceLive, TerminalLive, AgentLive, HostLive)

/**
 * Every hub service on the real machine, for a HubConfig that the caller provides. They run
 * git and tmux themselves and need no platform services. Every write to the store is
 * announced to the other processes (daemons react at once); the store is SQLite in HUB_HOME,
 * or the PostgreSQL that HUB_DATABASE_URL names.
 */
export const HubServices = servicesWith(StoreLive)

/** Every hub service, configured from the environment (HUB_HOME, HUB_TMUX_SOCKET, …). */
export const HubLive = HubServices.pipe(Layer.provideMerge(HubConfigLive))

/** HubLive for `hub daemon`: a PostgreSQL that is down at start is waited for, not fatal. */
export const HubDaemonLive = servicesWith(PatientStoreLive).pipe(Layer.provideMerge(HubConfigLive))
