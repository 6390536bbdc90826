// Words for invitation and delivery states, and the relay banner.
import type { OutboxSummary } from '../../lib/types'

export const stateLabels: Record<string, string> = {
  pending: 'Pending',
  expired: 'Expired',
  accepted: 'Accepted',
  cancelled: 'Cancelled',
}

export const deliveryLabels: Record<string, string> = {
  queued: 'Queued',
  sending: 'Sending',
  sent: 'Sent',
  failed: 'Failed',
  cancelled: 'Not sent',
}

/** clock formats a time as 10:42 (today) or 3 Sep 10:42. */
export function clock(iso: string | undefined, now = new Date()): string {
  if (!iso) return ''
  const d = new Date(iso)
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
  if (d.toDateString() === now.toDateString()) return time
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' }) + ' ' + time
}

/** bannerText is the relay-unreachable banner, or '' when there is nothing to say. */
export function bannerText(s: OutboxSummary | null, now = new Date()): string {
  if (!s || !s.relay.unreachable || s.waiting === 0) return ''
  const what = s.waiting === 1 ? '1 invitation waiting' : `${s.waiting} invitations waiting`
  return `${what} — relay unreachable since ${clock(s.relay.since, now)}`
}
