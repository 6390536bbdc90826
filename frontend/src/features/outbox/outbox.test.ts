import { describe, expect, it } from 'vitest'
import { bannerText } from './outbox'
import type { OutboxSummary } from '../../lib/types'

const base: OutboxSummary = { queued: 12, sending: 0, sent: 3, failed: 0, waiting: 12, relay: { unreachable: true, since: '' } }

describe('bannerText', () => {
  it('says how many wait and since when', () => {
    const since = new Date(2026, 8, 1, 10, 42)
    const text = bannerText({ ...base, relay: { unreachable: true, since: since.toISOString() } }, new Date(2026, 8, 1, 11, 0))
    expect(text).toMatch(/^12 invitations waiting — relay unreachable since 10[:.]42/)
    expect(bannerText({ ...base, waiting: 1, relay: { unreachable: true, since: since.toISOString() } }, since)).toMatch(/^1 invitation waiting/)
  })

  it('is empty when the relay is fine or nothing waits', () => {
    expect(bannerText(null)).toBe('')
    expect(bannerText({ ...base, relay: { unreachable: false } })).toBe('')
    expect(bannerText({ ...base, waiting: 0 })).toBe('')
  })
})
