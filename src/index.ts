/**
 * hub as a library: the domain, the services with their live layers, and the pipelines.
 * Provide `HubLive` (configured from the environment) or `HubServices` with your own
 * `HubConfigFrom({...})`, or swap any single service for your own layer.
 */
export * from "./domain/index.js"
export * from "./config.js"
export * from "./store/TaskStore.js"
export { SqlLive } from "./store/Sql.js"
export * from "./workspace/Workspace.js"
export * from "./terminal/Terminal.js"
export * from "./agent/Agent.js"
export { modelFor, systemPrompt, taskPrompt } from "./agent/prompts.js"
export { sessionIdFor, SESSION_NAMESPACE } from "./agent/session.js"
export * from "./dispatch/dispatch.js"
export * from "./dispatch/pass.js"
export * from "./dispatch/reconcile.js"
export * from "./dispatch/reap.js"
export * from "./dispatch/cleanup.js"
export * from "./dispatch/status.js"
export * from "./dispatch/daemon.js"
export * from "./dispatch/liveness.js"
export { changeStatus } from "./dispatch/taskActions.js"
export { currentLease, isLeaseLive } from "./dispatch/lease.js"
export * from "./layers.js"
export { VERSION } from "./version.js"
