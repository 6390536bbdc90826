import { describe, expect, it } from 'vitest'
import { leaveQuestion } from './leave'

describe('leaveQuestion', () => {
  it('asks nothing when nothing is held', () => {
    expect(leaveQuestion([])).toBe('')
  })
  it('says what would be lost and until when it can still be found', () => {
    const q = leaveQuestion([{ what: 'the passwords of 28 accounts', expires: '2026-12-03T10:15:00Z' }], () => '10:15')
    expect(q).toBe('The passwords of 28 accounts: not downloaded yet. You can still download them from Recent results (on the Add users page) until 10:15; after that they are gone.')
  })
})
