import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"

/**
 * Wake-ups between hub's processes on one machine: each daemon listens on a socket of its
 * own under `$HUB_HOME/wake/`, and whatever changes the queue (a CLI command, an agent's
 * hook) pokes every one of them, so that they act at once instead of at their next tick.
 * A poke carries nothing: it is a hint to look at the database again. Works with any number
 * of daemons, and with none (nobody listens; the poke costs a readdir).
 * Plain Node, no Effect: `hub agent hook` uses it and must start fast.
 */
export const wakeDir = (home: string) => path.join(home, "wake")

const socketOf = (home: string, pid: number) => path.join(wakeDir(home), `${pid}.sock`)

/** Pokes every daemon listening under `home` but `exceptPid`'s, within `timeoutMs` at most. */
export const pokeDaemons = async (home: string, options: { readonly exceptPid?: number; readonly timeoutMs?: number } = {}) => {
  let names: Array<string>
  try {
    names = fs.readdirSync(wakeDir(home)).filter((n) => n.endsWith(".sock") && n !== `${options.exceptPid}.sock`)
  } catch {
    return
  }
  if (names.length === 0) return
  return new Promise<void>((resolve) => {
    let pending = names.length
    const done = () => {
      if (--pending === 0) {
        clearTimeout(timer)
        resolve()
      }
    }
    const timer = setTimeout(resolve, options.timeoutMs ?? 300)
    timer.unref()
    for (const name of names) {
      const file = path.join(wakeDir(home), name)
      const socket = net.connect(file)
      socket.on("connect", () => socket.end("w"))
      socket.on("close", done)
      socket.on("error", (error: NodeJS.ErrnoException) => {
        // Nobody listens there any more (a daemon killed with -9): the socket is stale.
        if (error.code === "ECONNREFUSED") fs.rmSync(file, { force: true })
      })
    }
  })
}

export interface Listener {
  readonly close: () => void
}

/** Listens for pokes on this process's socket; `onPoke` runs once per poke. */
export const listenForPokes = (home: string, onPoke: () => void): Promise<Listener> => {
  return new Promise((resolve, reject) => {
    const dir = wakeDir(home)
    const file = socketOf(home, process.pid)
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
      fs.rmSync(file, { force: true })
    } catch (error) {
      return reject(error)
    }
    const server = net.createServer((socket) => {
      socket.on("error", () => {})
      socket.resume()
      socket.on("end", () => socket.destroy())
      onPoke()
    })
    server.on("error", reject)
    server.listen(file, () => {
      server.removeListener("error", reject)
      server.on("error", () => {})
      // Nothing that waits on pokes may keep the process alive by itself.
      server.unref()
      resolve({
        close: () => {
          server.close()
          fs.rmSync(file, { force: true })
        }
      })
    })
  })
}
