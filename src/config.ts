import { Config, ConfigError, Context, Either, Layer, Option } from "effect"
import { AGENT_NAMES, type AgentName } from "./agent/presets.js"
import { parseDurationMs } from "./domain/duration.js"
import * as os from "node:os"
import * as path from "node:path"

/**
 * Everything hub reads from its environment, read once. Services ask this, never
 * `process.env`, so a library user or a test can provide its own.
 */
export interface HubSettings {
  /** `HUB_HOME`, default `~/.hub`: the database, bare clones, worktrees and run files. */
  readonly home: string
  /** `HUB_TMUX_SOCKET`: `tmux -L <socket>`; none = the user's default server. */
  readonly tmuxSocket: Option.Option<string>
  /** `HUB_TMUX_SESSION`, default `hub`. */
  readonly tmuxSession: string
  /**
   * `HUB_AGENT`: a preset (src/agent/presets.ts): claude, codex, gemini or opencode. None:
   * Claude Code, unless `HUB_AGENT_COMMAND` is set (then no preset).
   */
  readonly agent: Option.Option<AgentName>
  /** `HUB_AGENT_COMMAND`: the command run in each window; it wins over the preset's command. */
  readonly agentCommand: Option.Option<string>
  /** `HUB_NOTIFY_COMMAND`: run by `sh -c` when a task becomes blocked, in-review, failed or done. */
  readonly notifyCommand: Option.Option<string>
  /** `HUB_DISPATCH_CAP`, default 1: how many tasks may be in-progress at once on this host. */
  readonly dispatchCap: number
  /**
   * `HUB_HOST`, default the machine's hostname: the name of the machine an attempt runs on.
   * Tmux and worktrees are local, so reconcile, reap, verify, status and cleanup judge only
   * this host's attempts, and the cap counts only this host's.
   */
  readonly host: string
  /**
   * `HUB_HOST_LEASE` (a duration, default 2m): a host whose lease (renewed by its daemon, and by
   * `hub dispatch` while it runs) is older than this has lost its in-progress tasks: the next
   * reconcile on any host returns them to ready.
   */
  readonly hostLeaseMs: number
  /** `HOME`: where `~/.claude.json` lives. */
  readonly userHome: string
  /** The directory holding the `hub` bin, put on the agent's PATH; none for library users. */
  readonly binDir: Option.Option<string>
  /** `HUB_TMUX_TIMEOUT` (ms, default 5000): bound on every tmux call, the liveness probe included. */
  readonly tmuxTimeoutMs: number
  /** `HUB_GIT_TIMEOUT` (ms, default 120000): bound on every git call. */
  readonly gitTimeoutMs: number
  /** `HUB_IDLE_AFTER` (a duration, default 2m): an agent idle this long without reporting → in-review. */
  readonly idleAfterMs: number
  /** `HUB_STALL_AFTER` (a duration, default 15m): no hook and no output this long → stalled, blocked. */
  readonly stallAfterMs: number
  /**
   * `HUB_DATABASE_URL`: a `postgres://` URL puts the queue on that PostgreSQL database (a team's
   * queue, shared by several machines); none = SQLite in `$HUB_HOME/hub.db`.
   */
  readonly databaseUrl: Option.Option<string>
  /** `HUB_BOARD_PORT` (default 4820; 0 = any free port; `off` = the daemon serves no board). */
  readonly boardPort: number | "off"
}

export class HubConfig extends Context.Tag("hub/HubConfig")<HubConfig, HubSettings>() {}

export const hubPaths = (settings: Pick<HubSettings, "home">) => ({
  db: path.join(settings.home, "hub.db"),
  repos: path.join(settings.home, "repos"),
  workspaces: path.join(settings.home, "workspaces"),
  runs: path.join(settings.home, "runs")
})

const nonEmpty = (name: string) =>
  Config.option(Config.string(name)).pipe(
    Config.map(Option.filter((s) => s.trim().length > 0))
  )

const positiveInt = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: `${name} must be a positive whole number`, validation: (n) => n > 0 })
  )

const duration = (name: string, fallback: string) =>
  Config.string(name).pipe(
    Config.withDefault(fallback),
    Config.mapOrFail((text) => {
      const ms = parseDurationMs(text)
      return ms !== undefined && ms > 0
        ? Either.right(ms)
        : Either.left(ConfigError.InvalidData([name], `${name} must be a duration such as 90s, 2m or 1h (got '${text}')`))
    })
  )

/**
 * A postgres:// URL or nothing. Anything else is refused rather than taken for a file name or
 * ignored; the message names the scheme only (a URL may carry a password).
 */
const databaseUrl = nonEmpty("HUB_DATABASE_URL").pipe(
  Config.mapOrFail((url) =>
    Option.isNone(url) || /^postgres(ql)?:\/\//i.test(url.value)
      ? Either.right(url)
      : Either.left(ConfigError.InvalidData(["HUB_DATABASE_URL"],
        `HUB_DATABASE_URL must be a postgres:// URL (got ${/^[a-z][a-z0-9+.-]*:/i.exec(url.value)?.[0] ?? "something that is not a URL"}); unset it to use SQLite in HUB_HOME`))
  )
)

const boardPort = Config.string("HUB_BOARD_PORT").pipe(
  Config.withDefault("4820"),
  Config.mapOrFail((text): Either.Either<number | "off", ConfigError.ConfigError> => {
    const value = text.trim().toLowerCase()
    if (value === "off") return Either.right("off")
    const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN
    return port <= 65535
      ? Either.right(port)
      : Either.left(ConfigError.InvalidData(["HUB_BOARD_PORT"], `HUB_BOARD_PORT must be a port (0-65535) or off (got '${text}')`))
  })
)

/** A host's name appears in events and tables: letters, digits and `.`, `_`, `-`, as hostnames are. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/

const hostName = nonEmpty("HUB_HOST").pipe(
  Config.mapOrFail(Option.match({
    onNone: () => Either.right(os.hostname()),
    onSome: (text) => {
      const name = text.trim()
      return HOST_NAME.test(name)
        ? Either.right(name)
        : Either.left(ConfigError.InvalidData(["HUB_HOST"], `HUB_HOST must be a name of letters, digits, '.', '_' and '-' (got '${name}')`))
    }
  }))
)

export const hubConfig: Config.Config<HubSettings> = Config.all({
  userHome: nonEmpty("HOME").pipe(Config.map(Option.getOrElse(() => os.homedir()))),
  home: nonEmpty("HUB_HOME"),
  tmuxSocket: nonEmpty("HUB_TMUX_SOCKET"),
  tmuxSession: nonEmpty("HUB_TMUX_SESSION").pipe(Config.map(Option.getOrElse(() => "hub"))),
  agent: nonEmpty("HUB_AGENT").pipe(
    Config.mapOrFail((name) =>
      Option.match(name, {
        onNone: () => Either.right(Option.none<AgentName>()),
        onSome: (n) => {
          const known = AGENT_NAMES.find((a) => a === n.trim().toLowerCase())
          return known !== undefined
            ? Either.right(Option.some(known))
            : Either.left(ConfigError.InvalidData(["HUB_AGENT"], `HUB_AGENT must be one of ${AGENT_NAMES.join(", ")} (got '${n}')`))
        }
      }))
  ),
  agentCommand: nonEmpty("HUB_AGENT_COMMAND"),
  notifyCommand: nonEmpty("HUB_NOTIFY_COMMAND"),
  dispatchCap: positiveInt("HUB_DISPATCH_CAP", 1),
  host: hostName,
  hostLeaseMs: duration("HUB_HOST_LEASE", "2m"),
  tmuxTimeoutMs: positiveInt("HUB_TMUX_TIMEOUT", 5_000),
  gitTimeoutMs: positiveInt("HUB_GIT_TIMEOUT", 120_000),
  idleAfterMs: duration("HUB_IDLE_AFTER", "2m"),
  stallAfterMs: duration("HUB_STALL_AFTER", "15m"),
  boardPort,
  binDir: nonEmpty("HUB_BIN_DIR"),
  databaseUrl
}).pipe(
  Config.map(({ home, userHome, ...rest }) => ({
    ...rest,
    userHome,
    home: path.resolve(Option.getOrElse(home, () => path.join(userHome, ".hub")))
  }))
)

/** HubConfig from the environment (Effect's ConfigProvider). */
export const HubConfigLive = Layer.effect(HubConfig, hubConfig)

/** A HubConfig built from explicit values, for library users and tests. */
export const HubConfigFrom = (settings: Partial<HubSettings> & { readonly home: string }) =>
  Layer.succeed(HubConfig, {
    tmuxSocket: Option.none(),
    tmuxSession: "hub",
    agent: Option.none(),
    agentCommand: Option.none(),
    notifyCommand: Option.none(),
    dispatchCap: 1,
    host: os.hostname(),
    hostLeaseMs: 120_000,
    userHome: os.homedir(),
    binDir: Option.none(),
    tmuxTimeoutMs: 5_000,
    gitTimeoutMs: 120_000,
    idleAfterMs: 120_000,
    stallAfterMs: 900_000,
    databaseUrl: Option.none(),
    boardPort: 4820,
    ...settings
  })
