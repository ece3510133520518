import { Layer } from "effect"
import { AgentLive } from "./agent/Agent.js"
import { HubConfigLive } from "./config.js"
import { HostLive } from "./host/Host.js"
import { StoreLive } from "./store/Database.js"
import { TerminalLive } from "./terminal/Terminal.js"
import { WorkspaceLive } from "./workspace/Workspace.js"

/**
 * Every hub service on the real machine, for a HubConfig that the caller provides. They run
 * git and tmux themselves and need no platform services.
 */
export const HubServices = Layer.mergeAll(
  // Every write to the store is announced to the other processes (daemons react at once);
  // SQLite in HUB_HOME, or the PostgreSQL that HUB_DATABASE_URL names.
  StoreLive,
  WorkspaceLive,
  TerminalLive,
  AgentLive,
  HostLive
)

/** Every hub service, configured from the environment (HUB_HOME, HUB_TMUX_SOCKET, …). */
export const HubLive = HubServices.pipe(Layer.provideMerge(HubConfigLive))
