import type { Task } from "../../src/domain/Task.js"
import type { TaskId } from "../../src/domain/TaskId.js"

/** A whole task as the store holds it (ready, never dispatched), with `patch` over it. */
export const aTask = (patch: Partial<Task> = {}): Task => ({
  id: "TASK-0007" as TaskId,
  title: "t",
  kind: "implement",
  status: "ready",
  description: "",
  repo: null,
  links: [],
  comments: [],
  attempt: 0,
  session_id: null,
  error: null,
  window_id: null,
  pane_pid: null,
  tmux_socket: null,
  tmux_session: null,
  workspace: null,
  workspace_fresh: false,
  lease_pid: null,
  lease_start: null,
  started_at: null,
  created_at: "2024-01-01T00:00:00.000Z",
  updated_at: "2024-01-01T00:00:00.000Z",
  agent_state: null,
  agent_state_at: null,
  agent_state_reason: null,
  usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
  host: null,
  priority: "normal",
  after: [],
  ...patch
})
