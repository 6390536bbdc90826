// Texts about failed sign-ins: the admin's own notice and the held accounts.

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' })

/** noticeText: "5 failed sign-ins from other places since 2 Mar 2026, 09:00." or "" */
export function noticeText(n: number | undefined, since: string | undefined): string {
  if (!n || n <= 0) return ''
  const what = n === 1 ? '1 failed sign-in' : `${n} failed sign-ins`
  const at = since ? ` since ${when.format(new Date(since))}` : ''
  return `${what} to your account from other places${at}. If that was not you, someone may be guessing your password.`
}

/** holdText: "5 failed sign-ins since 09:00 · held until 09:05" */
export function holdText(failures: number, since: string, until: string): string {
  const what = failures === 1 ? '1 failed sign-in' : `${failures} failed sign-ins`
  return `${what} since ${when.format(new Date(since))} · held until ${time.format(new Date(until))}`
}
