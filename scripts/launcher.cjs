#!/usr/bin/env node
// hub's bin. It answers --version without loading anything; `hub agent hook` (on every tool
// call of an agent) goes first to its own small bundle (hub-hook.cjs, src/hook.ts), without
// Effect or the database. Everything else loads a bundled CLI through V8's code cache: Node 20
// has no module.enableCompileCache, and compiling a bundle afresh is most of a cold start.
// `hub task list|show|get|create` go to the fast path (hub-fast.cjs, src/fastMain.ts), which
// loads neither @effect/cli nor the services those commands do not use; what it declines
// (help, an unusual form) and every other command go to the full CLI (hub-main.cjs, src/main.ts).
"use strict"
const VERSION = "__HUB_VERSION__"
const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
  process.stdout.write(VERSION + "\n")
  return
}
if (args[0] === "agent" && args[1] === "hook" && args.length <= 3 && !args.includes("--help")) {
  // An agent's hook, on every tool call: the small bundle, without Effect or the database.
  require("./hub-hook.cjs")
  return
}
const fs = require("node:fs")
const path = require("node:path")
const vm = require("node:vm")
const Module = require("node:module")

/** Runs the bundle `name` (beside this file) with its code cache `.name.v8cache`; its exports. */
const load = (name) => {
  const file = path.join(__dirname, name)
  const cacheFile = path.join(__dirname, `.${name.replace(/\.cjs$/, "")}.v8cache`)
  const source = fs.readFileSync(file, "utf8")
  let cachedData
  try {
    cachedData = fs.readFileSync(cacheFile)
  } catch {}
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData, importModuleDynamically: undefined })
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written at exit, so that the functions this run compiled are in it too.
    process.once("exit", () => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`
        fs.writeFileSync(tmp, script.createCachedData())
        fs.renameSync(tmp, cacheFile)
      } catch {}
    })
  }
  const mod = { exports: {}, id: file, filename: file, loaded: false, children: [], paths: Module._nodeModulePaths(__dirname) }
  script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, __dirname)
  return mod.exports
}

const FAST = ["list", "show", "get", "create"]
if (!(args[0] === "task" && FAST.includes(args[1]) && !load("hub-fast.cjs").declined)) load("hub-main.cjs")
