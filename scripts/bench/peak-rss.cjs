// Preloaded by peakRss (lib.mjs) where GNU time is missing: writes the process's peak RSS
// (KiB) to fd 3 as it exits.
"use strict"
process.on("exit", () => require("node:fs").writeSync(3, String(process.resourceUsage().maxRSS)))
