/**
 * The attempts this process is dispatching right now. A claim's lease names its process, and a
 * lease of a live process reads as "dispatch in flight"; but a daemon lives on after one of its
 * dispatches ended with an undo that could not reach the database (PostgreSQL down longer than
 * the undo's bound). That claim would look in flight for as long as the daemon runs, with no
 * agent: reconcile asks here whether a lease of its own process is still being dispatched.
 */
const attempts = new Set<string>()

const key = (task: { readonly id: string; readonly attempt: number }) => `${task.id}#${task.attempt}`

export const dispatching = {
  add: (task: { readonly id: string; readonly attempt: number }) => void attempts.add(key(task)),
  remove: (task: { readonly id: string; readonly attempt: number }) => void attempts.delete(key(task)),
  has: (task: { readonly id: string; readonly attempt: number }) => attempts.has(key(task))
}
