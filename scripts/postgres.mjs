// A private PostgreSQL server for tests, benchmarks and the chaos runner: Debian's binaries, a
// data directory of its own in a temp dir, its own port and socket directory, fsync off, stopped
// with -m immediate. It never touches a cluster of the machine (PITFALLS.md, "PostgreSQL").
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

/** Where Debian's `postgresql` package puts the server's binaries (the newest version). */
export const postgresBin = () => {
  const base = "/usr/lib/postgresql"
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) {
    const dir = path.join(base, v, "bin")
    if (fs.existsSync(path.join(dir, "pg_ctl"))) return dir
  }
  throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)")
}

/** A TCP port nobody listens on now. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

const asRoot = typeof process.getuid === "function" && process.getuid() === 0

/** Runs a server binary as the `postgres` user when we are root (initdb refuses root). */
const run = (bin, args, options = {}) => {
  const [cmd, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args]
  const result = spawnSync(cmd, argv, { encoding: "utf8", ...options })
  if (result.status !== 0) {
    throw new Error(`${path.basename(bin)} ${args[0] ?? ""} failed: ${(result.stderr || result.stdout || "").trim().split("\n").slice(-3).join(" ")}`)
  }
  return result.stdout
}

/**
 * Starts a server (fsync off unless `durable`; `settings` are more `name=value` of its own);
 * resolves to a handle with the URL of a database (`url(name)`), `createDatabase`,
 * `stop` (immediate), `start` (again, same port and data) and `dispose` (stop and remove).
 */
export const startPostgres = async (options = {}) => {
  const bin = postgresBin()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-pg-"))
  const data = path.join(dir, "data")
  fs.mkdirSync(data)
  if (asRoot) execFileSync("chown", ["-R", "postgres:postgres", dir])
  fs.chmodSync(dir, 0o755)
  run(path.join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"])
  const port = options.port ?? (await freePort())
  const serverOptions = [
    `-k ${dir}`,
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    "-c max_connections=200",
    // fsync off only: a commit still reaches the OS before it returns, so a server stopped with
    // -m immediate (as the fault tests do, then start it again) keeps every committed row.
    // (synchronous_commit=off lost a task created just before such a stop.)
    ...(options.durable ? [] : ["-c fsync=off"]),
    ...(options.settings ?? []).map((s) => `-c ${s}`)
  ].join(" ")
  const pgCtl = (...args) => run(path.join(bin, "pg_ctl"), ["-D", data, ...args])
  const start = () => pgCtl("-o", serverOptions, "-l", path.join(dir, "log"), "-w", "-t", "30", "start")
  const stop = () => {
    try {
      pgCtl("-m", "immediate", "-w", "stop")
    } catch {
      // Already stopped.
    }
  }
  start()
  const url = (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`
  const psql = (sqlText, database = "postgres") =>
    execFileSync(path.join(bin, "psql"), ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url(database), "-c", sqlText], { encoding: "utf8" })
  let n = 0
  return {
    dir,
    port,
    url,
    psql,
    /** A new empty database; its URL. */
    createDatabase: (prefix = "hub") => {
      const name = `${prefix}_${process.pid}_${++n}`
      psql(`CREATE DATABASE ${name}`)
      return url(name)
    },
    start,
    stop,
    dispose: () => {
      stop()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
