#!/usr/bin/env node
// hub's bin. It answers --version without loading anything, and loads the bundled CLI
// (hub-main.cjs) through V8's code cache: Node 20 has no module.enableCompileCache, and
// compiling the 1.5 MB bundle afresh is most of a cold start.
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

const file = path.join(__dirname, "hub-main.cjs")
const cacheFile = path.join(__dirname, ".hub-main.v8cache")
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
