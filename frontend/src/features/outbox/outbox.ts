// Words for invitation and delivery states, and the relay banner.
import { formatClock } from '../../lib/format'
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

/** bannerText is the relay-unreachable banner, or '' when there is nothing to say. */
export function bannerText(s: OutboxSummary | null, now = new Date()): string {
  if (!s || !s.relay.unreachable || s.waiting === 0) return ''
  const what = s.waiting === 1 ? '1 invitation waiting' : `${s.waiting} invitations waiting`
  return `${what} — relay unreachable since ${formatClock(s.relay.since, now)}`
}
