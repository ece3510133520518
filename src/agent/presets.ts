/**
 * The agents hub knows by name (`HUB_AGENT`): the command it runs in each window, how the agent
 * tells hub what it is doing, what hub prepares for its first start, and whether an earlier
 * attempt's conversation can be continued. Every command is configuration run by `sh` through
 * the window's constant wrapper; task text reaches it only through the window's variables
 * (`$HUB_TASK_PROMPT`, `$HUB_SYSTEM_PROMPT`). README.md ("Agents") says, per preset, what hub
 * knows and does not know about that agent, with the sources in docs/CLAUDE-CODE.md.
 */

export const AGENT_NAMES = ["claude", "codex", "gemini", "opencode"] as const
export type AgentName = (typeof AGENT_NAMES)[number]

/** How an agent's state reaches hub. */
export type Reporting =
  /** Claude Code's hooks, from hub's per-attempt settings file, call `hub agent hook`. */
  | "hooks"
  /** The agent runs `hub agent hook` after each turn (Codex's `notify`): idle, nothing more. */
  | "notify"
  /** Nothing: only the window's output, through the stall fallback. */
  | "output"

export interface AgentPreset {
  readonly name: AgentName
  /** The executable the preflight looks for on PATH. */
  readonly program: string
  /** The command for a first (or fresh) conversation; `hubBin` is the hub the agent can call. */
  readonly command: (hubBin: string) => string
  /** The command that continues the conversation `$HUB_RESUME_SESSION_ID`, where the agent can. */
  readonly resumeCommand?: (hubBin: string) => string
  readonly reporting: Reporting
  /** Variables the agent's window gets besides hub's own (configuration, never task text). */
  readonly env?: Readonly<Record<string, string>>
  /** Claude Code's first-start preparation: the settings file and the ~/.claude.json trust. */
  readonly claudeSetup: boolean
}

/** A word for `sh`: a path is configuration, but may hold spaces or quotes. */
export const shellWord = (s: string) => `'${s.replaceAll("'", "'\\''")}'`

/** The system prompt and the task prompt as one, for agents without a system prompt flag. */
const BOTH_PROMPTS = "\"$(printf '%s\\n\\n%s' \"$HUB_SYSTEM_PROMPT\" \"$HUB_TASK_PROMPT\")\""

const CLAUDE_FLAGS =
  "--settings \"$HUB_RUN_DIR/settings.json\" --permission-mode \"$HUB_PERMISSION_MODE\" --model \"$HUB_MODEL\" --append-system-prompt \"$HUB_SYSTEM_PROMPT\" \"$HUB_TASK_PROMPT\""

export const PRESETS: Readonly<Record<AgentName, AgentPreset>> = {
  claude: {
    name: "claude",
    program: "claude",
    command: () => `claude --session-id "$HUB_SESSION_ID" ${CLAUDE_FLAGS}`,
    // `--session-id` with `--resume` needs `--fork-session`: the resumed session keeps its id.
    resumeCommand: () => `claude --resume "$HUB_RESUME_SESSION_ID" ${CLAUDE_FLAGS}`,
    reporting: "hooks",
    claudeSetup: true
  },
  codex: {
    name: "codex",
    program: "codex",
    // `-c` overrides one config key for this run (its value parsed as TOML/JSON): every turn's
    // end runs hub's hook with Codex's JSON as the last argument.
    command: (hubBin) =>
      `codex --dangerously-bypass-approvals-and-sandbox -c ${shellWord(`notify=${JSON.stringify([hubBin, "agent", "hook"])}`)} ${BOTH_PROMPTS}`,
    reporting: "notify",
    claudeSetup: false
  },
  gemini: {
    name: "gemini",
    program: "gemini",
    command: () => `gemini --approval-mode yolo --prompt-interactive ${BOTH_PROMPTS}`,
    reporting: "output",
    claudeSetup: false
  },
  opencode: {
    name: "opencode",
    program: "opencode",
    command: () => `opencode --prompt ${BOTH_PROMPTS}`,
    // opencode's permissions as JSON: nobody is there to approve an edit or a command.
    env: { OPENCODE_PERMISSION: JSON.stringify({ edit: "allow", bash: "allow", webfetch: "allow" }) },
    reporting: "output",
    claudeSetup: false
  }
}
