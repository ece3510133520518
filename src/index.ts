/**
 * hub as a library: the domain, the services with their live layers, and the pipelines.
 * Provide `HubLive` (configured from the environment) or `HubServices` with your own
 * `HubConfigFrom({...})`, or swap any single service for your own layer.
 */

// The domain: Schemas, the transition table, tagged errors.
export * from "./domain/index.js"

// Configuration.
export { HubConfig, HubConfigFrom, HubConfigLive, hubPaths, type HubSettings } from "./config.js"

// Services and their live layers.
export {
  type AttemptRef,
  type Change,
  type HostedAttempt,
  type HostLease,
  type Lease,
  type ListFilter,
  type NewTask,
  type StoredTask,
  type TaskEdit,
  TaskStore,
  SqliteTaskStoreLive,
  TaskStoreFromSql,
  type WindowRecord
} from "./store/TaskStore.js"
export { DatabaseLive, StoreLive, TaskStoreLive } from "./store/Database.js"
export { Changes, LocalChangesLive } from "./store/Changes.js"
export { SqlLive } from "./store/Sql.js"
export { branchFor, type Keep, type RepoInfo, Workspace, WorkspaceLive, type WorktreePlan } from "./workspace/Workspace.js"
export {
  type Pane,
  type Probe,
  Terminal,
  TerminalLive,
  type Window,
  type WindowRef,
  type WindowSpec
} from "./terminal/Terminal.js"
export { Agent, AgentLive, DEFAULT_AGENT_COMMAND, type Launch } from "./agent/Agent.js"
export { sessionIdFor, SESSION_NAMESPACE } from "./agent/session.js"
export { Host, HostLive, type LeaseFields } from "./host/Host.js"
export { HubLive, HubServices } from "./layers.js"

// The pipelines.
export { dispatchNext, makeFetchCache, type FetchCache, type Started } from "./dispatch/dispatch.js"
export { dispatchPass, type PassResult, preflight } from "./dispatch/pass.js"
export { reclaimLostHosts, reconcile, type ReconcileAction, type ReconcileReport } from "./dispatch/reconcile.js"
export { keepHostLease } from "./dispatch/hostLease.js"
export { reap, type Reaped } from "./dispatch/reap.js"
export { cleanup, type CleanupEntry } from "./dispatch/cleanup.js"
export { status, type StatusRow, verify, type Violation } from "./dispatch/status.js"
export { daemon, type DaemonOptions } from "./dispatch/daemon.js"
export { changeStatus, type Caller } from "./dispatch/taskActions.js"
export { type Liveness, makeProber } from "./dispatch/liveness.js"
export { followUsage } from "./dispatch/usage.js"
export { makeNotifier, NOTIFY_STATUSES } from "./dispatch/notify.js"
export { type AgentName, type AgentPreset, AGENT_NAMES, PRESETS } from "./agent/presets.js"

export { VERSION } from "./version.js"
