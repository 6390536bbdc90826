import { describe, expect, it } from 'vitest'
import { discoveryURL, redirectLines } from './api'

describe('connected apps', () => {
  it('builds the discovery URL from the fixed issuer, else the page’s address', () => {
    expect(discoveryURL('', 'https://rollcall.maple.example')).toBe('https://rollcall.maple.example/.well-known/openid-configuration')
    expect(discoveryURL('https://id.maple.example/', 'http://127.0.0.1:8080')).toBe('https://id.maple.example/.well-known/openid-configuration')
  })

  it('reads redirect URIs one per line', () => {
    expect(redirectLines(' https://a.example/cb \n\nhttps://b.example/cb\n')).toEqual(['https://a.example/cb', 'https://b.example/cb'])
    expect(redirectLines('  ')).toEqual([])
  })
})
