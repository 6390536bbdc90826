// A connected app's sign-in (Rollcall as OpenID provider) arrives at
// /signin?authRequest=ID. Whichever way the person signs in — password,
// badge, or a new password first because the account must choose one — the
// page ends by completing that request and returning to the app, instead
// of stopping at /account. The ID travels in the address from page to page.
import { newPasswordPath, signinPath } from '../../lib/publicroute'
import { completeAppSignIn } from './api'

/** authRequestOf reads the app sign-in a page continues (?authRequest=ID), or ''. */
export function authRequestOf(search: string): string {
  return new URLSearchParams(search).get('authRequest') ?? ''
}

/** withAuthRequest adds ?authRequest=ID to a path (unchanged without one). */
export function withAuthRequest(path: string, authRequest: string): string {
  if (!authRequest) return path
  return path + (path.includes('?') ? '&' : '?') + 'authRequest=' + encodeURIComponent(authRequest)
}

/** signinFor is the sign-in page that continues the app's sign-in. */
export function signinFor(authRequest: string): string {
  return withAuthRequest(signinPath(), authRequest)
}

export interface AfterSignIn {
  /** complete the app's sign-in now (then leave for the app) */
  app: boolean
  /** else go here */
  path: string
}

/**
 * afterSignIn says where a signed-in person goes: an account that must
 * choose a new password does that first (keeping the app's request);
 * otherwise back to the app when there is one, else their account page.
 */
export function afterSignIn(acc: { must_change_password?: boolean }, authRequest: string): AfterSignIn {
  if (acc.must_change_password) return { app: false, path: withAuthRequest(newPasswordPath, authRequest) }
  if (authRequest) return { app: true, path: '' }
  return { app: false, path: '/account' }
}

/** continueToApp completes the app's sign-in and leaves for the app (the provider's callback). */
export async function continueToApp(
  authRequest: string,
  complete: (id: string) => Promise<{ redirect: string }> = completeAppSignIn,
  go: (url: string) => void = (u) => location.assign(u),
): Promise<void> {
  const { redirect } = await complete(authRequest)
  go(redirect)
}

/** goOn follows afterSignIn: to the app, or to the page it names. */
export async function goOn(
  acc: { must_change_password?: boolean },
  authRequest: string,
  complete: (id: string) => Promise<{ redirect: string }> = completeAppSignIn,
  go: (url: string) => void = (u) => location.assign(u),
): Promise<void> {
  const next = afterSignIn(acc, authRequest)
  if (next.app) await continueToApp(authRequest, complete, go)
  else go(next.path)
}
