/**
 * The Claude Code settings hub writes for each attempt of the default agent, in the
 * attempt's run folder (never in the worktree or the user's own settings), passed with
 * `claude --settings <file>`. Claude Code merges it with the user's and the project's
 * settings: their hooks keep running beside hub's.
 */
import { shellWord } from "./presets.js"

/**
 * The events whose hook tells the agent's state. Those that fire on every prompt and tool
 * call run in the background (`async`): the agent never waits on hub. The rest are rare,
 * and run in order, so that a turn's end is recorded after its last tool call.
 */
export const HOOK_EVENTS: ReadonlyArray<{ readonly event: string; readonly async: boolean }> = [
  { event: "SessionStart", async: false },
  { event: "UserPromptSubmit", async: true },
  { event: "PreToolUse", async: true },
  { event: "PostToolUse", async: true },
  { event: "PostToolUseFailure", async: true },
  { event: "PermissionRequest", async: false },
  { event: "Notification", async: true },
  { event: "Stop", async: false },
  { event: "StopFailure", async: false },
  { event: "SessionEnd", async: false }
]


/** The settings object: hub's hooks, and what an unattended first start needs. */
export const claudeSettings = (hubBin: string) => {
  const command = `${shellWord(hubBin)} agent hook`
  return {
    hooks: Object.fromEntries(
      HOOK_EVENTS.map(({ async, event }) => [
        event,
        [{ hooks: [{ type: "command", command, timeout: 10, ...(async ? { async: true } : {}) }] }]
      ])
    ),
    // No one is there to answer the bypass-permissions warning or approve a repo's MCP servers.
    skipDangerousModePermissionPrompt: true,
    enableAllProjectMcpServers: true
  }
}
