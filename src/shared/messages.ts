import { Cause, ConfigError, Option } from "effect"

/**
 * What hub prints or logs of a failure is one line: `hub: <message>`, a log line, a task's
 * `error`. Every place that turns an error or a cause into text asks these two.
 */

/** Folds the line breaks of a message, and the blanks around them, into single spaces. */
export const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, " ").trim()

/**
 * An error's message on one line. A SqlError's own message is only "Failed to execute
 * statement": the driver's error under it says what went wrong. An error with no message
 * is named by its tag.
 */
export const messageOf = (error: unknown): string => oneLine(rawMessage(error))

const rawMessage = (error: unknown): string => {
  if (ConfigError.isConfigError(error)) return `invalid configuration: ${String(error)}`
  if (typeof error !== "object" || error === null) return String(error)
  if ("_tag" in error && error._tag === "SqlError" && "cause" in error && error.cause instanceof Error) {
    return rawMessage(error.cause)
  }
  // node-postgres, when every address of a host refused: an AggregateError without a message.
  if (error instanceof AggregateError && error.message === "" && error.errors.length > 0) return rawMessage(error.errors[0])
  if (error instanceof Error && error.message === "" && "code" in error) return String(error.code)
  if ("message" in error && typeof error.message === "string" && error.message !== "") return error.message
  if ("_tag" in error && typeof error._tag === "string") return error._tag
  return String(error)
}

/** A cause on one line: its first failure's message, else `defect: <message>`, else why it ended. */
export const causeMessage = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return messageOf(failure.value)
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) return `defect: ${messageOf(defect.value)}`
  if (Cause.isInterruptedOnly(cause)) return "interrupted"
  return oneLine(Cause.pretty(cause).split("\n")[0] ?? "") || "unknown failure"
}
