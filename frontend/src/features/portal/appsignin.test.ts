import { describe, expect, it } from 'vitest'
import { afterSignIn, authRequestOf, goOn, signinFor, withAuthRequest } from './appsignin'

describe('continuing to a connected app', () => {
  it('reads and carries the app’s request', () => {
    expect(authRequestOf('?authRequest=abc%2F1&x=1')).toBe('abc/1')
    expect(authRequestOf('')).toBe('')
    expect(withAuthRequest('/account/new-password', 'abc/1')).toBe('/account/new-password?authRequest=abc%2F1')
    expect(withAuthRequest('/signin?username=ada', 'r1')).toBe('/signin?username=ada&authRequest=r1')
    expect(withAuthRequest('/account', '')).toBe('/account')
    expect(signinFor('r1')).toBe('/signin?authRequest=r1')
  })

  it('sends a must-change account to the new password first, keeping the app; else to the app; else the account page', () => {
    expect(afterSignIn({ must_change_password: true }, 'r1')).toEqual({ app: false, path: '/account/new-password?authRequest=r1' })
    expect(afterSignIn({ must_change_password: true }, '')).toEqual({ app: false, path: '/account/new-password' })
    expect(afterSignIn({ must_change_password: false }, 'r1')).toEqual({ app: true, path: '' })
    expect(afterSignIn({}, '')).toEqual({ app: false, path: '/account' })
  })

  it('completes the app’s sign-in and goes where the provider says (a badge sign-in, or after the new password)', async () => {
    const went: string[] = []
    const asked: string[] = []
    const complete = async (id: string) => {
      asked.push(id)
      return { redirect: '/oidc/callback?id=' + id }
    }
    await goOn({ must_change_password: false }, 'r1', complete, (u) => went.push(u))
    await goOn({ must_change_password: true }, 'r2', complete, (u) => went.push(u))
    await goOn({}, '', complete, (u) => went.push(u))
    expect(asked).toEqual(['r1'])
    expect(went).toEqual(['/oidc/callback?id=r1', '/account/new-password?authRequest=r2', '/account'])
  })

  it('lets a refusal through to the page (an app the account may not use)', async () => {
    const refuse = async () => {
      throw new Error('Your account may not sign in to Moodle.')
    }
    await expect(goOn({}, 'r1', refuse, () => {})).rejects.toThrow(/may not sign in to Moodle/)
  })
})
