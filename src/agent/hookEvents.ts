import type { AgentSignal } from "../domain/AgentState.js"

/**
 * What one report of an agent tells hub, as a domain signal (or nothing: an event that says
 * nothing about the agent's state). It reads, by its fields:
 * - a Claude Code hook's JSON (`hook_event_name`), as Claude Code documents it;
 * - Codex's `notify` JSON (`type: "agent-turn-complete"`): its turn ended;
 * - hub's own plain form, for wrappers of any other agent: `{"state": "busy" | "idle" |
 *   "waiting" | "ended", "message": "…"}`.
 * Deliberately free of Effect: `hub agent hook` runs on every tool call and must start fast.
 */
export const signalOf = (payload: unknown, at: string): AgentSignal | undefined => {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return undefined
  const p = payload as Record<string, unknown>
  const text = (key: string) => (typeof p[key] === "string" ? (p[key] as string).trim() : "")
  const tool = text("tool_name") || "a tool"
  switch (text("hook_event_name")) {
    case "SessionStart":
      return { _tag: "started", at }
    case "UserPromptSubmit":
      return { _tag: "busy", at, doing: "working on a prompt" }
    case "PreToolUse":
    case "PostToolUse":
    case "PostToolUseFailure":
      return { _tag: "busy", at, doing: `using ${tool}` }
    case "PermissionRequest":
      return { _tag: "waiting", at, message: text("message") || `Claude needs your permission to use ${tool}` }
    case "Notification":
      switch (text("notification_type")) {
        case "permission_prompt":
        case "elicitation_dialog":
          return { _tag: "waiting", at, message: text("message") || "a dialog is open" }
        case "idle_prompt":
          return { _tag: "idle", at }
        default:
          return undefined
      }
    case "Stop":
      return { _tag: "idle", at }
    case "StopFailure":
      return { _tag: "turnFailed", at, error: text("error") || "unknown" }
    case "SessionEnd":
      return { _tag: "ended", at, reason: text("reason") || "other" }
  }
  if (text("type") === "agent-turn-complete") return { _tag: "idle", at }
  switch (text("state")) {
    case "busy":
      return { _tag: "busy", at, doing: text("message") || "working" }
    case "idle":
      return { _tag: "idle", at }
    case "waiting":
      return { _tag: "waiting", at, message: text("message") || "waiting for a person" }
    case "ended":
      return { _tag: "ended", at, reason: text("message") || "other" }
  }
  return undefined
}

/**
 * The agent's own session, as Claude Code's hook JSON names it on every event: its session id
 * (what `claude --resume` takes) and the transcript it writes (where its token usage is). Kept
 * on each signal line, so that reconcile learns both from the run folder alone.
 */
export const agentSessionOf = (payload: unknown): { readonly session_id?: string; readonly transcript_path?: string } => {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return {}
  const p = payload as Record<string, unknown>
  const word = (key: string) => (typeof p[key] === "string" && (p[key] as string).trim() !== "" ? { [key]: (p[key] as string).trim() } : {})
  return { ...word("session_id"), ...word("transcript_path") }
}
