import { describe, expect, it } from 'vitest'
import { holdText, noticeText } from './signin'

describe('noticeText', () => {
  it('is empty without failures', () => {
    expect(noticeText(0, '2026-03-02T09:00:00Z')).toBe('')
    expect(noticeText(undefined, undefined)).toBe('')
  })
  it('counts the failures', () => {
    expect(noticeText(5, '2026-03-02T09:00:00Z')).toMatch(/^5 failed sign-ins to your account from other places since /)
    expect(noticeText(1, undefined)).toMatch(/^1 failed sign-in to your account from other places\./)
  })
})

describe('holdText', () => {
  it('says how many and until when', () => {
    expect(holdText(7, '2026-03-02T09:00:00Z', '2026-03-02T09:10:00Z')).toMatch(/^7 failed sign-ins since .* · held until /)
  })
})
