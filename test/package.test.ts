/**
 * `npm install` on a fresh clone must leave the work tree clean: npm rewrites a lockfile whose
 * root entry disagrees with package.json (the `^` ranges it carried after package.json moved to
 * `~`). `npm ci`, which CI runs, refuses one whose dependencies do not match at all.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { ROOT } from "./support/sandbox.js"

const read = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8")) as Record<string, any>

describe("package-lock.json", () => {
  it("its root entry says what package.json says", () => {
    const pkg = read("package.json")
    const root = read("package-lock.json").packages[""]
    for (const field of ["name", "version", "license", "bin", "engines", "dependencies", "devDependencies"]) {
      expect(root[field], field).toEqual(pkg[field])
    }
  })

  it("locks every direct dependency", () => {
    const pkg = read("package.json")
    const lock = read("package-lock.json")
    for (const name of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)]) {
      expect(lock.packages[`node_modules/${name}`]?.version, name).toMatch(/^\d+\.\d+\.\d+/)
    }
  })
})
