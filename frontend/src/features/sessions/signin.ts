// Texts about failed sign-ins: the admin's own notice and the held accounts.
import { formatDateTime, formatTime, plural } from '../../lib/format'

/** noticeText: "5 failed sign-ins from other places since 2 Mar 2026, 09:00." or "" */
export function noticeText(n: number | undefined, since: string | undefined): string {
  if (!n || n <= 0) return ''
  const at = since ? ` since ${formatDateTime(since)}` : ''
  return `${plural(n, 'failed sign-in')} to your account from other places${at}. If that was not you, someone may be guessing your password.`
}

/** holdText: "5 failed sign-ins since 2 Mar 2026, 09:00 · held until 09:05" */
export function holdText(failures: number, since: string, until: string): string {
  return `${plural(failures, 'failed sign-in')} since ${formatDateTime(since)} · held until ${formatTime(until)}`
}
