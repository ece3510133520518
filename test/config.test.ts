import { describe, expect, it } from "@effect/vitest"
import { ConfigError, ConfigProvider, Effect, Either, Option } from "effect"
import * as os from "node:os"
import * as path from "node:path"
import { HubConfig, HubConfigFrom, hubConfig, HubConfigLive, hubPaths } from "../src/config.js"

/** Reads hubConfig from exactly these variables (nothing of the real environment). */
const read = (env: Record<string, string>) =>
  hubConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

const readError = (env: Record<string, string>) => Effect.flip(read(env))

describe("HubConfig defaults", () => {
  it.effect("with only HOME set, everything takes its default", () =>
    Effect.gen(function* () {
      const settings = yield* read({ HOME: "/home/u" })
      expect(settings).toEqual({
        userHome: "/home/u",
        home: "/home/u/.hub",
        tmuxSocket: Option.none(),
        tmuxSession: "hub",
        agent: Option.none(),
        agentCommand: Option.none(),
        notifyCommand: Option.none(),
        dispatchCap: 1,
        host: os.hostname(),
        hostLeaseMs: 120_000,
        tmuxTimeoutMs: 5_000,
        gitTimeoutMs: 120_000,
        idleAfterMs: 120_000,
        stallAfterMs: 900_000,
        boardPort: 4820,
        binDir: Option.none(),
        databaseUrl: Option.none()
      })
    }))

  it.effect("without HOME, HUB_HOME defaults to the OS home's .hub (computed, not touched)", () =>
    Effect.gen(function* () {
      const settings = yield* read({})
      expect(settings.userHome).toBe(os.homedir())
      expect(settings.home).toBe(path.join(os.homedir(), ".hub"))
    }))

  it.effect("empty or blank values count as unset", () =>
    Effect.gen(function* () {
      const settings = yield* read({
        HOME: "/home/u",
        HUB_HOME: "  ",
        HUB_TMUX_SOCKET: "",
        HUB_TMUX_SESSION: " ",
        HUB_AGENT_COMMAND: "",
        HUB_BIN_DIR: "",
        HUB_HOST: " "
      })
      expect(settings.host).toBe(os.hostname())
      expect(settings.home).toBe("/home/u/.hub")
      expect(settings.tmuxSocket).toEqual(Option.none())
      expect(settings.tmuxSession).toBe("hub")
      expect(settings.agentCommand).toEqual(Option.none())
      expect(settings.binDir).toEqual(Option.none())
    }))
})

describe("HubConfig from the environment", () => {
  it.effect("reads every variable", () =>
    Effect.gen(function* () {
      const settings = yield* read({
        HOME: "/home/u",
        HUB_HOME: "/srv/hub",
        HUB_TMUX_SOCKET: "hub-sock",
        HUB_TMUX_SESSION: "work",
        HUB_AGENT: "Codex",
        HUB_AGENT_COMMAND: "sleep 600",
        HUB_NOTIFY_COMMAND: "notify-send hub",
        HUB_DISPATCH_CAP: "3",
        HUB_HOST: "build-7.example",
        HUB_HOST_LEASE: "45s",
        HUB_TMUX_TIMEOUT: "250",
        HUB_GIT_TIMEOUT: "9000",
        HUB_IDLE_AFTER: "90s",
        HUB_STALL_AFTER: "1h",
        HUB_BIN_DIR: "/opt/hub/bin",
        HUB_BOARD_PORT: "4999",
        HUB_DATABASE_URL: "postgres://hub:pw@db.example:5432/hub"
      })
      expect(settings).toEqual({
        userHome: "/home/u",
        home: "/srv/hub",
        tmuxSocket: Option.some("hub-sock"),
        tmuxSession: "work",
        agent: Option.some("codex"),
        agentCommand: Option.some("sleep 600"),
        notifyCommand: Option.some("notify-send hub"),
        dispatchCap: 3,
        host: "build-7.example",
        hostLeaseMs: 45_000,
        tmuxTimeoutMs: 250,
        gitTimeoutMs: 9000,
        idleAfterMs: 90_000,
        stallAfterMs: 3_600_000,
        boardPort: 4999,
        binDir: Option.some("/opt/hub/bin"),
        databaseUrl: Option.some("postgres://hub:pw@db.example:5432/hub")
      })
    }))

  it.effect("the agent-state durations default to 2m idle and 15m stalled", () =>
    Effect.gen(function* () {
      const settings = yield* read({ HOME: "/home/u" })
      expect([settings.idleAfterMs, settings.stallAfterMs]).toEqual([120_000, 900_000])
    }))

  it.effect("HUB_BOARD_PORT: a port, 0 (any free one) or off; anything else is refused with one line", () =>
    Effect.gen(function* () {
      expect((yield* read({ HUB_BOARD_PORT: "0" })).boardPort).toBe(0)
      expect((yield* read({ HUB_BOARD_PORT: "OFF" })).boardPort).toBe("off")
      for (const bad of ["65536", "-1", "http", "80a"]) {
        const error = yield* readError({ HUB_BOARD_PORT: bad })
        expect(String(error)).toContain("HUB_BOARD_PORT must be a port (0-65535) or off")
      }
    }))

  it.effect("HUB_DATABASE_URL: postgres:// or postgresql://, blank = unset; any other is refused naming its scheme only", () =>
    Effect.gen(function* () {
      expect((yield* read({ HUB_DATABASE_URL: "postgresql://h/db" })).databaseUrl).toEqual(Option.some("postgresql://h/db"))
      expect((yield* read({ HUB_DATABASE_URL: "  " })).databaseUrl).toEqual(Option.none())
      for (const [bad, scheme] of [["mysql://root:s3cret@h/db", "mysql:"], ["file:/tmp/x", "file:"], ["hub.db", "something that is not a URL"]] as const) {
        const error = String(yield* readError({ HUB_DATABASE_URL: bad }))
        expect(error).toContain(`HUB_DATABASE_URL must be a postgres:// URL (got ${scheme})`)
        expect(error).not.toContain("s3cret")
      }
    }))

  it.effect("a relative HUB_HOME is made absolute", () =>
    Effect.gen(function* () {
      const settings = yield* read({ HOME: "/home/u", HUB_HOME: "rel/hub" })
      expect(settings.home).toBe(path.resolve("rel/hub"))
      expect(path.isAbsolute(settings.home)).toBe(true)
    }))

  it.effect("HUB_HOME is normalized", () =>
    Effect.gen(function* () {
      const settings = yield* read({ HOME: "/home/u", HUB_HOME: "/srv//hub/./x/../" })
      expect(settings.home).toBe("/srv/hub")
    }))

  it.effect("HUB_HOME wins over HOME; HOME still sets userHome", () =>
    Effect.gen(function* () {
      const settings = yield* read({ HOME: "/home/u", HUB_HOME: "/data/hub" })
      expect(settings.home).toBe("/data/hub")
      expect(settings.userHome).toBe("/home/u")
    }))

  it.effect("HubConfigLive reads through the current ConfigProvider", () =>
    Effect.gen(function* () {
      const settings = yield* HubConfig.pipe(
        Effect.provide(HubConfigLive),
        Effect.withConfigProvider(
          ConfigProvider.fromMap(new Map([["HOME", "/home/u"], ["HUB_HOME", "/x/hub"], ["HUB_DISPATCH_CAP", "2"]]))
        )
      )
      expect(settings.home).toBe("/x/hub")
      expect(settings.dispatchCap).toBe(2)
      expect(settings.tmuxSession).toBe("hub")
    }))
})

describe("HubConfig refuses an unknown HUB_AGENT", () => {
  it.effect("naming the presets", () =>
    Effect.gen(function* () {
      const error = yield* readError({ HOME: "/home/u", HUB_AGENT: "cursor" })
      expect(String(error)).toContain("HUB_AGENT must be one of claude, codex, gemini, opencode (got 'cursor')")
    }))
})

describe("HubConfig refuses bad numbers", () => {
  const BAD: ReadonlyArray<readonly [name: string, value: string]> = [
    ["HUB_DISPATCH_CAP", "0"],
    ["HUB_DISPATCH_CAP", "-1"],
    ["HUB_DISPATCH_CAP", "abc"],
    ["HUB_DISPATCH_CAP", "1.5"],
    ["HUB_DISPATCH_CAP", "2x"],
    ["HUB_TMUX_TIMEOUT", "0"],
    ["HUB_TMUX_TIMEOUT", "soon"],
    ["HUB_GIT_TIMEOUT", "-5"],
    ["HUB_GIT_TIMEOUT", "many"],
    ["HUB_IDLE_AFTER", "soon"],
    ["HUB_IDLE_AFTER", "0"],
    ["HUB_STALL_AFTER", "5 minutes"],
    ["HUB_HOST_LEASE", "0"],
    ["HUB_HOST_LEASE", "soon"],
    ["HUB_HOST", "two words"],
    ["HUB_HOST", "a;b"],
    ["HUB_HOST", "-dash-first"]
  ]

  it.effect.each(BAD)("%s=%j is a ConfigError naming the variable", ([name, value]) =>
    Effect.gen(function* () {
      const error = yield* readError({ HOME: "/home/u", [name]: value })
      expect(ConfigError.isConfigError(error)).toBe(true)
      expect(String(error)).toContain(name)
    }))

  it.effect("a bad HUB_HOST says what a host name may hold", () =>
    Effect.gen(function* () {
      const error = yield* readError({ HOME: "/home/u", HUB_HOST: "my host" })
      expect(String(error)).toContain("HUB_HOST must be a name of letters, digits, '.', '_' and '-' (got 'my host')")
    }))

  it.effect.each(["laptop", "build-7.example.com", "ci_runner_2", " padded "])("HUB_HOST=%j is accepted (trimmed)", (value) =>
    Effect.gen(function* () {
      const settings = yield* read({ HOME: "/home/u", HUB_HOST: value })
      expect(settings.host).toBe(value.trim())
    }))

  it.effect("a zero cap says it must be positive", () =>
    Effect.gen(function* () {
      const error = yield* readError({ HOME: "/home/u", HUB_DISPATCH_CAP: "0" })
      expect(String(error)).toContain("HUB_DISPATCH_CAP must be a positive whole number")
    }))

  it.effect("HubConfigLive fails with the ConfigError too", () =>
    Effect.gen(function* () {
      const result = yield* HubConfig.pipe(
        Effect.provide(HubConfigLive),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["HUB_DISPATCH_CAP", "abc"]]))),
        Effect.either
      )
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        expect(ConfigError.isConfigError(result.left)).toBe(true)
        expect(String(result.left)).toContain("HUB_DISPATCH_CAP")
      }
    }))

  it.effect.each(["1", "2", "16"])("HUB_DISPATCH_CAP=%s is accepted", (value) =>
    Effect.gen(function* () {
      const settings = yield* read({ HOME: "/home/u", HUB_DISPATCH_CAP: value })
      expect(settings.dispatchCap).toBe(Number(value))
    }))
})

describe("HubConfigFrom and hubPaths", () => {
  it.effect("HubConfigFrom fills the rest with the defaults", () =>
    Effect.gen(function* () {
      const settings = yield* HubConfig.pipe(Effect.provide(HubConfigFrom({ home: "/tmp/hub-x" })))
      expect(settings.home).toBe("/tmp/hub-x")
      expect(settings.tmuxSession).toBe("hub")
      expect(settings.dispatchCap).toBe(1)
      expect(settings.tmuxSocket).toEqual(Option.none())
      expect(settings.agentCommand).toEqual(Option.none())
      expect(settings.binDir).toEqual(Option.none())
      expect(settings.tmuxTimeoutMs).toBe(5_000)
      expect(settings.gitTimeoutMs).toBe(120_000)
      expect(settings.host).toBe(os.hostname())
      expect(settings.hostLeaseMs).toBe(120_000)
    }))

  it.effect("HubConfigFrom keeps the overrides", () =>
    Effect.gen(function* () {
      const settings = yield* HubConfig.pipe(
        Effect.provide(HubConfigFrom({ home: "/tmp/hub-x", dispatchCap: 4, tmuxSession: "s" }))
      )
      expect(settings.dispatchCap).toBe(4)
      expect(settings.tmuxSession).toBe("s")
    }))

  it("hubPaths puts everything under HUB_HOME", () => {
    expect(hubPaths({ home: "/srv/hub" })).toEqual({
      db: "/srv/hub/hub.db",
      repos: "/srv/hub/repos",
      workspaces: "/srv/hub/workspaces",
      runs: "/srv/hub/runs"
    })
  })
})
