import { createHash } from "node:crypto"

/** The namespace hub's session ids live in (RFC 4122's X.500 namespace, as the issue fixes). */
export const SESSION_NAMESPACE = "6ba7b814-9dad-11d1-80b4-00c04fd430c8"

/** RFC 4122 UUID version 5 (SHA-1, name-based). */
export const uuidV5 = (name: string, namespace: string): string => {
  const ns = Buffer.from(namespace.replaceAll("-", ""), "hex")
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** Each attempt its own session: `TASK-0007#2` → a stable UUID that maps back to the task. */
export const sessionIdFor = (taskId: string, attempt: number): string =>
  uuidV5(`${taskId}#${attempt}`, SESSION_NAMESPACE)
