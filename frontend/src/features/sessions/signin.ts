// Texts about failed sign-ins: the admin's own notice and the held accounts.
import { formatDateTime, formatTime } from '../../lib/format'
import { t } from '../../lib/i18n.svelte'

/** noticeText: "5 failed sign-ins to your account from other places since 2 Mar 2026, 09:00. …" or "" */
export function noticeText(n: number | undefined, since: string | undefined): string {
  if (!n || n <= 0) return ''
  return since ? t('notice.failedSince', { count: n, since: formatDateTime(since) }) : t('notice.failed', { count: n })
}

/** holdText: "5 failed sign-ins since 2 Mar 2026, 09:00 · held until 09:05" */
export function holdText(failures: number, since: string, until: string): string {
  return t('sessions.held', { count: failures, since: formatDateTime(since), until: formatTime(until) })
}
