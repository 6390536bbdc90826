import { describe, expect, it } from 'vitest'
import { parsePublicPath, signinPath } from './publicroute'

describe('parsePublicPath', () => {
  it('reads the public pages', () => {
    expect(parsePublicPath('/signin', '?username=ada.l%C3%B6')).toEqual({ name: 'signin', username: 'ada.lö' })
    expect(parsePublicPath('/signin/', '')).toEqual({ name: 'signin', username: '' })
    expect(parsePublicPath('/account', '')).toEqual({ name: 'account' })
    expect(parsePublicPath('/account/new-password', '')).toEqual({ name: 'new-password' })
    expect(parsePublicPath('/invite/abc_DEF-123', '')).toEqual({ name: 'invite', token: 'abc_DEF-123' })
    expect(parsePublicPath('/join', '')).toEqual({ name: 'join', code: '' })
    expect(parsePublicPath('/join/K7QM3XRD', '')).toEqual({ name: 'join', code: 'K7QM3XRD' })
    expect(parsePublicPath('/link/abc_DEF-123', '')).toEqual({ name: 'link', token: 'abc_DEF-123' })
    expect(parsePublicPath('/verify/abc_DEF-123', '')).toEqual({ name: 'verify', token: 'abc_DEF-123' })
    expect(parsePublicPath('/reset/abc_DEF-123', '')).toEqual({ name: 'reset', token: 'abc_DEF-123' })
    expect(parsePublicPath('/signin', '?org=maple')).toEqual({ name: 'signin', username: '', org: 'maple' })
  })

  it('leaves everything else to the admin app', () => {
    for (const p of ['/', '', '/index.html', '/invite', '/invite/a/b', '/signin/x', '/accounts', '/link', '/join/a/b', '/account/x', '/account/new-password/x', '/verify', '/verify/a/b', '/reset', '/reset/a/b']) {
      expect(parsePublicPath(p, '')).toBeNull()
    }
  })

  it('builds the sign-in address', () => {
    expect(signinPath()).toBe('/signin')
    expect(signinPath('ada@maple.example')).toBe('/signin?username=ada%40maple.example')
  })
})
