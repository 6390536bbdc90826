import { afterEach, describe, expect, it, vi } from 'vitest'
import { endSessionOf, ssoButtons, startURL } from './api'
import { signOut as portalSignOut } from '../portal/api'
import { signOut as adminSignOut } from '../sessions/api'

describe('endSessionOf', () => {
  it('offers the provider’s end-session address', () => {
    expect(endSessionOf({ end_session_url: 'https://login.example/logout?x=1', provider: 'Microsoft' })).toEqual({
      url: 'https://login.example/logout?x=1',
      provider: 'Microsoft',
    })
  })
  it('names the provider generically when the name is missing', () => {
    expect(endSessionOf({ end_session_url: 'http://127.0.0.1:9/end_session' })?.provider).toBe('the sign-in provider')
  })
  it('offers nothing for a sign-out without one (204), or for anything but http(s)', () => {
    expect(endSessionOf(undefined)).toBeNull()
    expect(endSessionOf({})).toBeNull()
    expect(endSessionOf({ end_session_url: 'javascript:alert(1)', provider: 'X' })).toBeNull()
    expect(endSessionOf({ end_session_url: 'not a url' })).toBeNull()
    expect(endSessionOf({ end_session_url: 42 })).toBeNull()
  })
})

describe('sign-out answers', () => {
  afterEach(() => vi.unstubAllGlobals())

  function answer(status: number, body?: unknown) {
    const fetch = vi.fn(async () =>
      status === 204 ? new Response(null, { status }) : new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }),
    )
    vi.stubGlobal('fetch', fetch)
    return fetch
  }

  it('the portal sign-out returns the end-session offer, or null on 204', async () => {
    const f = answer(200, { end_session_url: 'https://id.example/end', provider: 'Maple ID' })
    expect(await portalSignOut()).toEqual({ url: 'https://id.example/end', provider: 'Maple ID' })
    expect(f).toHaveBeenCalledWith('/api/public/signout', expect.objectContaining({ method: 'POST' }))
    answer(204)
    expect(await portalSignOut()).toBeNull()
  })

  it('the admin sign-out returns the end-session offer, or null on 204', async () => {
    const f = answer(200, { end_session_url: 'https://id.example/end', provider: 'Maple ID' })
    expect(await adminSignOut()).toEqual({ url: 'https://id.example/end', provider: 'Maple ID' })
    expect(f).toHaveBeenCalledWith('/api/session', expect.objectContaining({ method: 'DELETE' }))
    answer(204)
    expect(await adminSignOut()).toBeNull()
  })
})

describe('buttons', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('builds the start address with the purpose and the invitation', () => {
    expect(startURL('p 1', 'invitation', 'tok/en')).toBe('/api/public/sso/start?provider=p+1&for=invitation&invitation=tok%2Fen')
    expect(startURL('p1', 'admin')).toBe('/api/public/sso/start?provider=p1&for=admin')
  })

  it('asks for the organization’s providers, or the email domain’s', async () => {
    const fetch = vi.fn(async () => new Response('[]', { status: 200, headers: { 'Content-Type': 'application/json' } }))
    vi.stubGlobal('fetch', fetch)
    await ssoButtons({ org: 'maple' })
    await ssoButtons({ email: 'x@maple.example' })
    expect(fetch.mock.calls.map((c) => (c as unknown[])[0])).toEqual(['/api/public/sso/providers?org=maple', '/api/public/sso/providers?email=x%40maple.example'])
    expect(await ssoButtons({})).toEqual([])
  })
})
