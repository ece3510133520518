// The board's page: plain DOM, every piece of task text set with textContent (never as
// markup). The server sends the tasks over server-sent events whenever anything changes;
// this script only draws them and sends a person's actions back as JSON.
"use strict"

const STATUSES = ["backlog", "ready", "in-progress", "blocked", "in-review", "done", "failed", "cancelled"]
/** Statuses whose task may have a live agent: its pane is followed while the detail is open. */
const AGENT_OWNING = ["in-progress", "blocked", "in-review"]
const PANE_EVERY_MS = 1000

const $ = (selector, root = document) => root.querySelector(selector)

const el = (tag, props = {}, children = []) => {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value
    else if (key === "class") node.className = value
    else if (key.startsWith("data-")) node.setAttribute(key, value)
    else node[key] = value
  }
  for (const child of children) if (child) node.append(child)
  return node
}

/** How long ago, as a person says it: 12s, 5m, 3h, 2d. */
const age = (iso) => {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86400 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`
}

// ---- one line for what went wrong (the CLI's refusal) or what was done ----
const message = $("[data-message]")
const say = (text, kind = "error") => {
  message.textContent = text
  message.className = kind
  message.hidden = text === ""
}

/** Sends a change; resolves to the answer's JSON, or says the refusal and resolves to null. */
const send = async (path, body) => {
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body ?? {}),
      credentials: "same-origin"
    })
    const answer = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }))
    if (!response.ok) {
      say(String(answer.error ?? response.status).split("\n")[0])
      return null
    }
    say("")
    return answer
  } catch (error) {
    say(`the board did not answer: ${error.message}`)
    return null
  }
}

const getJson = async (path) => {
  const response = await fetch(path, { credentials: "same-origin" })
  if (!response.ok) throw new Error((await response.json().catch(() => ({}))).error ?? `${response.status}`)
  return response.json()
}

// ---- the columns ----
const columns = $("[data-columns]")
const lists = {}
const counts = {}
for (const status of STATUSES) {
  const count = el("span", { class: "count", text: "0" })
  const list = el("div", { class: "cards" })
  columns.append(el("section", { class: "column", "data-column": status }, [el("h2", {}, [el("span", { text: status }), count]), list]))
  lists[status] = list
  counts[status] = count
}

/** The card elements by task id, with what they were drawn from. */
const drawn = new Map()

const stateLine = (task) =>
  task.agent_state === null ? "" : `${task.agent_state}${task.agent_state_at ? ` · ${age(task.agent_state_at)}` : ""}`

const drawCard = (task) => {
  const state = el("span", { class: `state ${task.agent_state ?? ""}`, text: stateLine(task), "data-field": "state" })
  const tags = el("div", { class: "tags" }, [
    el("span", { class: "id", text: task.id }),
    el("span", { class: `kind ${task.kind}`, text: task.kind }),
    task.repo ? el("span", { class: "repo", text: task.repo }) : null,
    task.priority !== null && task.priority !== undefined ? el("span", { class: "priority", text: typeof task.priority === "number" ? `p${task.priority}` : String(task.priority) }) : null,
    state
  ])
  const card = el("article", { class: "card", tabIndex: 0, "data-task-id": task.id, "data-status": task.status }, [
    el("div", { class: "title", text: task.title }),
    tags
  ])
  if (selected === task.id) card.classList.add("selected")
  return card
}

const render = (tasks) => {
  const seen = new Set()
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, []]))
  for (const task of tasks) {
    seen.add(task.id)
    const key = JSON.stringify(task)
    let entry = drawn.get(task.id)
    if (entry === undefined || entry.key !== key) {
      const card = drawCard(task)
      if (entry !== undefined) entry.card.replaceWith(card)
      entry = { card, key, task }
      drawn.set(task.id, entry)
    }
    ;(byStatus[task.status] ?? byStatus.backlog).push(entry.card)
  }
  for (const [id, entry] of drawn) {
    if (!seen.has(id)) {
      entry.card.remove()
      drawn.delete(id)
    }
  }
  for (const status of STATUSES) {
    const list = lists[status]
    const cards = byStatus[status]
    // Only what is out of place moves: a page of 1,000 cards redraws in milliseconds.
    cards.forEach((card, i) => {
      if (list.children[i] !== card) list.insertBefore(card, list.children[i] ?? null)
    })
    while (list.children.length > cards.length) list.lastElementChild.remove()
    counts[status].textContent = String(cards.length)
  }
  document.body.dataset.ready = "true"
  document.body.dataset.tasks = String(tasks.length)
  if (selected !== null) {
    const entry = drawn.get(selected)
    if (entry === undefined) closeDetail()
    else if (entry.key !== shownKey) openDetail(selected)
  }
}

// Ages move on without any change to send.
setInterval(() => {
  for (const { card, task } of drawn.values()) {
    if (task.agent_state_at) $("[data-field=state]", card).textContent = stateLine(task)
  }
}, 5000)

// ---- live: the server pushes every change ----
const live = $("[data-live]")
const connect = () => {
  const events = new EventSource("/api/events")
  events.addEventListener("tasks", (event) => {
    live.textContent = "live"
    live.className = "live on"
    render(JSON.parse(event.data).tasks)
  })
  events.addEventListener("error", () => {
    live.textContent = "reconnecting…"
    live.className = "live off"
  })
}

// ---- the detail of one task ----
const detail = $("[data-detail]")
const pane = $("[data-pane]", detail)
let selected = null
let shownKey = null
let paneTimer = null
let opening = 0

const field = (name) => $(`[data-field=${name}]`, detail)

const closeDetail = () => {
  selected = null
  shownKey = null
  detail.hidden = true
  clearInterval(paneTimer)
  paneTimer = null
  for (const card of columns.querySelectorAll(".card.selected")) card.classList.remove("selected")
}

const followPane = async (id) => {
  try {
    const answer = await getJson(`/api/tasks/${encodeURIComponent(id)}/pane`)
    if (selected !== id) return
    pane.textContent = answer.pane ?? (answer.live ? "" : "(no live agent)")
    pane.dataset.live = String(answer.live)
  } catch (error) {
    if (selected === id) pane.textContent = `(the pane could not be read: ${error.message})`
  }
}

const showDiff = async (id) => {
  const box = $("[data-diff]", detail)
  try {
    const { diff } = await getJson(`/api/tasks/${encodeURIComponent(id)}/diff`)
    if (selected !== id) return
    if (diff === null) box.textContent = "(no branch yet)"
    else {
      const parts = [diff.committed === "" ? `no commits on the branch since ${diff.base}` : diff.committed]
      if (diff.uncommitted !== "") parts.push("", "not committed yet:", diff.uncommitted)
      box.textContent = parts.join("\n")
    }
  } catch (error) {
    if (selected === id) box.textContent = `(the diff could not be read: ${error.message})`
  }
}

const openDetail = async (id) => {
  const ticket = ++opening
  selected = id
  shownKey = drawn.get(id)?.key ?? null
  for (const card of columns.querySelectorAll(".card.selected")) card.classList.remove("selected")
  drawn.get(id)?.card.classList.add("selected")
  let answer
  try {
    answer = await getJson(`/api/tasks/${encodeURIComponent(id)}`)
  } catch (error) {
    say(error.message)
    return
  }
  if (ticket !== opening) return
  const { task, events, actions } = answer
  detail.hidden = false
  detail.dataset.detailTask = task.id
  detail.dataset.detailStatus = task.status
  field("title").textContent = `${task.id}  ${task.title}`
  field("meta").textContent = [task.status, task.kind, task.repo ?? "no repo", `attempt ${task.attempt}`,
    task.host ? `on ${task.host}` : null,
    task.agent_state ? `agent ${task.agent_state}${task.agent_state_reason ? ` (${task.agent_state_reason})` : ""}` : null]
    .filter(Boolean).join(" · ")
  const error = field("error")
  error.hidden = !task.error
  error.textContent = task.error ?? ""
  field("description").textContent = task.description || "(none)"
  const links = field("links")
  links.replaceChildren(...task.links.map((url) => el("li", {}, [el("a", { href: /^https?:/i.test(url) ? url : "#", text: url, rel: "noreferrer noopener", target: "_blank" })])))
  $("[data-links-section]", detail).hidden = task.links.length === 0
  field("comments").replaceChildren(...task.comments.map((c) =>
    el("li", {}, [el("span", { class: "who", text: `${c.author} · ${c.at.replace("T", " ").slice(0, 19)}` }), el("div", { class: "text", text: c.text })])))
  field("history").replaceChildren(...events.map((e) =>
    el("li", {}, [
      el("span", { class: "when", text: e.at.replace("T", " ").slice(0, 19) }),
      el("span", { class: "move", text: `${e.from ?? "·"} → ${e.to}` }),
      el("span", { class: "who", text: e.actor }),
      el("span", { class: "reason", text: e.reason })
    ])))
  $("[data-actions]", detail).replaceChildren(...actions.map((name) =>
    el("button", { type: "button", "data-action": name, text: name, class: `action ${name}` })))
  clearInterval(paneTimer)
  paneTimer = null
  if (AGENT_OWNING.includes(task.status) && task.window_id) {
    void followPane(task.id)
    paneTimer = setInterval(() => void followPane(task.id), PANE_EVERY_MS)
  } else {
    pane.textContent = "(no live agent)"
    pane.dataset.live = "false"
  }
  void showDiff(task.id)
}

columns.addEventListener("click", (event) => {
  const card = event.target.closest("[data-task-id]")
  if (card) void openDetail(card.dataset.taskId)
})
columns.addEventListener("keydown", (event) => {
  const card = event.target.closest("[data-task-id]")
  if (card && event.key === "Enter") void openDetail(card.dataset.taskId)
})
$("[data-close]", detail).addEventListener("click", closeDetail)
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && selected !== null) closeDetail()
})

$("[data-actions]", detail).addEventListener("click", async (event) => {
  const button = event.target.closest("[data-action]")
  if (!button || selected === null) return
  const id = selected
  button.disabled = true
  const answer = await send(`/api/tasks/${encodeURIComponent(id)}/${button.dataset.action}`)
  button.disabled = false
  if (answer) say(`${answer.task.id} ${answer.task.status}`, "done")
})

$("[data-comment]", detail).addEventListener("submit", async (event) => {
  event.preventDefault()
  const form = event.currentTarget
  if (selected === null) return
  const id = selected
  const answer = await send(`/api/tasks/${encodeURIComponent(id)}/comments`, { text: form.elements.text.value })
  if (answer) {
    form.reset()
    if (selected === id) void openDetail(id)
  }
})

// ---- a new task: Enter in the title submits the form ----
const create = $("[data-create]")
create.addEventListener("submit", async (event) => {
  event.preventDefault()
  const f = create.elements
  const answer = await send("/api/tasks", {
    title: f.title.value,
    description: f.description.value,
    repo: f.repo.value.trim() === "" ? null : f.repo.value,
    kind: f.kind.value
  })
  if (answer) {
    f.title.value = ""
    f.description.value = ""
    say(`${answer.task.id} created`, "done")
    f.title.focus()
  }
})
connect()
