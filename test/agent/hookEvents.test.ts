import { describe, expect, it } from "@effect/vitest"
import { signalOf } from "../../src/agent/hookEvents.js"

const at = "2026-12-01T10:00:00.000Z"
const hook = (event: string, fields: Record<string, unknown> = {}) => ({
  session_id: "s", transcript_path: "/t.jsonl", cwd: "/w", hook_event_name: event, ...fields
})

describe("signalOf: what a hook tells hub", () => {
  it.each([
    [hook("SessionStart", { source: "startup" }), { _tag: "started", at }],
    [hook("UserPromptSubmit", { prompt: "hi" }), { _tag: "busy", at, doing: "working on a prompt" }],
    [hook("PreToolUse", { tool_name: "Bash" }), { _tag: "busy", at, doing: "using Bash" }],
    [hook("PostToolUse", { tool_name: "Edit" }), { _tag: "busy", at, doing: "using Edit" }],
    [hook("PostToolUseFailure", { tool_name: "Edit" }), { _tag: "busy", at, doing: "using Edit" }],
    [hook("PermissionRequest", { tool_name: "Bash" }), { _tag: "waiting", at, message: "Claude needs your permission to use Bash" }],
    [hook("Notification", { notification_type: "permission_prompt", message: "Claude needs your permission to use Bash" }),
      { _tag: "waiting", at, message: "Claude needs your permission to use Bash" }],
    [hook("Notification", { notification_type: "elicitation_dialog", message: "Pick one" }), { _tag: "waiting", at, message: "Pick one" }],
    [hook("Notification", { notification_type: "idle_prompt", message: "Claude is waiting for your input" }), { _tag: "idle", at }],
    [hook("Stop", { stop_hook_active: false }), { _tag: "idle", at }],
    [hook("StopFailure", { error: "rate_limit" }), { _tag: "turnFailed", at, error: "rate_limit" }],
    [hook("SessionEnd", { reason: "prompt_input_exit" }), { _tag: "ended", at, reason: "prompt_input_exit" }],
    [{ type: "agent-turn-complete", "thread-id": "t", "last-assistant-message": "done" }, { _tag: "idle", at }],
    [{ state: "busy", message: "compiling" }, { _tag: "busy", at, doing: "compiling" }],
    [{ state: "waiting" }, { _tag: "waiting", at, message: "waiting for a person" }]
  ] as const)("%o", (payload, signal) => {
    expect(signalOf(payload, at)).toEqual(signal)
  })

  it("events that tell nothing of the state, and anything that is not an object, give no signal", () => {
    for (const payload of [hook("Notification", { notification_type: "auth_success" }), hook("PreCompact"), hook("Nope"), {}, [], null, "Stop", 3]) {
      expect(signalOf(payload, at)).toBeUndefined()
    }
  })

  it("task text in a payload stays text (it is only ever data)", () => {
    expect(signalOf(hook("Notification", { notification_type: "permission_prompt", message: "$(rm -rf ~) <b>x</b>" }), at))
      .toEqual({ _tag: "waiting", at, message: "$(rm -rf ~) <b>x</b>" })
  })
})
