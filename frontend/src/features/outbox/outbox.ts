// Words for invitation and delivery states, and the relay banner.
import { formatClock } from '../../lib/format'
import type { OutboxSummary } from '../../lib/types'
import { t } from '../../lib/i18n.svelte'

// Getters: each reading is in the UI's language at the time.
export const stateLabels: Record<string, string> = {
  get pending() { return t('invitations.statePending') },
  get expired() { return t('invitations.stateExpired') },
  get accepted() { return t('invitations.stateAccepted') },
  get cancelled() { return t('invitations.stateCancelled') },
}

export const deliveryLabels: Record<string, string> = {
  get queued() { return t('delivery.queued') },
  get sending() { return t('delivery.sending') },
  get sent() { return t('delivery.sent') },
  get failed() { return t('delivery.failed') },
  get cancelled() { return t('delivery.notSent') },
}

/** bannerText is the relay-unreachable banner, or '' when there is nothing to say. */
export function bannerText(s: OutboxSummary | null, now = new Date()): string {
  if (!s || !s.relay.unreachable || s.waiting === 0) return ''
  return t('outbox.banner', { count: s.waiting, since: formatClock(s.relay.since, now) })
}
