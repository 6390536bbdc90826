import { describe, expect, it } from 'vitest'
import { lineUsernames, personKeys, type NameLine } from './accounts'

const p = (line: number, first: string, last: string): NameLine => ({ line, form: 'first last', first_name: first, last_name: last })

describe('username overrides', () => {
  it('stay with their person when lines move', () => {
    const before = [p(1, 'Ada', 'Lovelace'), p(2, 'Ada', 'Lovelace')]
    const overrides = new Map([[personKeys(before)[1], 'ada.second']])
    const after = [p(1, 'Zed', 'Zulu'), p(2, 'Ada', 'Lovelace'), p(3, 'Ada', 'Lovelace')]
    expect(lineUsernames(after, overrides)).toEqual({ '3': 'ada.second' })
  })
})
