// The words of the question asked before a page holding unsaved one-time
// passwords is left (leave.svelte.ts does the asking), in the UI's language.
import { locale } from './format'
import { t } from './i18n.svelte'

export interface LeaveGuard {
  /** what would be lost, as a phrase in the UI's language: "the passwords of 28 accounts" */
  what: string
  /** when it is gone for good (ISO time), if known: until then it is under Recent results */
  expires?: string
}

/** leaveQuestion is the message for the guards held, or '' when there are none. */
export function leaveQuestion(guards: LeaveGuard[], clock: (iso: string) => string = defaultClock): string {
  if (guards.length === 0) return ''
  const what = new Intl.ListFormat(locale(), { type: 'conjunction' }).format(guards.map((g) => g.what))
  const first = what.charAt(0).toUpperCase() + what.slice(1)
  const expires = guards.map((g) => g.expires).filter((x): x is string => Boolean(x)).sort()[0]
  return expires ? t('shell.leaveUntil', { what: first, time: clock(expires) }) : t('shell.leaveGone', { what: first })
}

function defaultClock(iso: string): string {
  return new Date(iso).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' })
}
