// The words of the question asked before a page holding unsaved one-time
// passwords is left (leave.svelte.ts does the asking).

export interface LeaveGuard {
  /** what would be lost, as a phrase: "the passwords of 28 accounts" */
  what: string
  /** when it is gone for good (ISO time), if known: until then it is under Recent results */
  expires?: string
}

/** leaveQuestion is the message for the guards held, or '' when there are none. */
export function leaveQuestion(guards: LeaveGuard[], clock: (iso: string) => string = defaultClock): string {
  if (guards.length === 0) return ''
  const what = guards.map((g) => g.what).join(' and ')
  const first = what.charAt(0).toUpperCase() + what.slice(1)
  const expires = guards.map((g) => g.expires).filter((x): x is string => Boolean(x)).sort()[0]
  const later = expires
    ? ` You can still download them from Recent results (on the Add users page) until ${clock(expires)}; after that they are gone.`
    : ' They are not downloaded yet; once they are dropped they cannot be shown again.'
  return `${first}: not downloaded yet.${later}`
}

function defaultClock(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
}
