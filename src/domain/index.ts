export * from "./errors.js"
export * from "./Task.js"
export * from "./TaskId.js"
export * from "./transitions.js"
