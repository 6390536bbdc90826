import { describe, expect, it } from 'vitest'
import { countAddresses } from './addresses'

describe('countAddresses', () => {
  it('counts each address once in any separator', () => {
    expect(countAddresses('')).toBe(0)
    expect(countAddresses('a@x.example, b@x.example;c@x.example\nd@x.example e@x.example')).toBe(5)
    expect(countAddresses('Ada Lovelace <ada@x.example>, "Hopper, Grace" <grace@x.example>; ADA@x.example')).toBe(2)
    expect(countAddresses('not an address, @x, y@')).toBe(0)
  })
})
