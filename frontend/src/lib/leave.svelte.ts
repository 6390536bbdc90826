// Asking before leaving a page that holds something not yet saved — the
// one-time passwords of a finished job before they are downloaded. A page
// registers a guard while it holds them; closing or reloading the tab then
// brings the browser's own question (beforeunload), and moving elsewhere
// in the app (a link, Back) waits for the LeaveDialog's answer.
import { leaveQuestion, type LeaveGuard } from './leave'

const guards = new Set<LeaveGuard>()

/** leave.pending is the address asked about ('' when nothing is asked). */
export const leave = $state<{ pending: string; message: string }>({ pending: '', message: '' })

/**
 * guardLeave keeps the page from being left without asking while it is
 * registered; it returns the function that lifts it (call it in an
 * effect's cleanup).
 */
export function guardLeave(g: LeaveGuard): () => void {
  guards.add(g)
  return () => guards.delete(g)
}

/** leaveBlocked is the question to ask before leaving, or '' when nothing is held. */
export function leaveBlocked(): string {
  return leaveQuestion([...guards])
}

/** askLeave holds a move to hash until the person answers; it returns whether it is held. */
export function askLeave(hash: string): boolean {
  const message = leaveBlocked()
  if (!message) return false
  leave.pending = hash
  leave.message = message
  return true
}

let allowed = ''

/** stay answers "no": the page stays as it is. */
export function stay(): void {
  leave.pending = ''
}

/** go answers "yes": the held move happens. */
export function go(): void {
  allowed = leave.pending
  leave.pending = ''
  location.hash = allowed
}

/** takeAllowed reports (once) whether a move to hash was answered "yes". */
export function takeAllowed(hash: string): boolean {
  if (!allowed || allowed !== hash) return false
  allowed = ''
  return true
}

window.addEventListener('beforeunload', (e) => {
  if (!leaveBlocked()) return
  e.preventDefault()
  // Older browsers show the dialog only when returnValue is set.
  e.returnValue = ''
})
