// Public pages are real paths (the server answers index.html for them), not
// hash routes: they are opened from mails and QR codes by people who are not
// admins. Add a page by adding a case here and a branch in PublicApp.svelte.
//   /signin?username=NAME   user sign-in portal (slips' QR codes land here)
//   /account                the signed-in user's own page
//   /account/new-password   choose a new password (the account must, before anything else)
//   /invite/{token}         accept an email invitation
//   /join, /join/{CODE}     sign up with an invite code ("Have an invite code?")
//   /link/{token}           sign up with an invite link
//   /verify/{token}         confirm the email address given at sign-up
//   /reset/{token}          set a password with a mailed link (a reset, or an activation mail)
//   /signin?org=SLUG        the sign-in page of an organization: offers sign-up when it is open

export type PublicRoute =
  | { name: 'signin'; username: string; org?: string }
  | { name: 'account' }
  | { name: 'new-password' }
  | { name: 'invite'; token: string }
  | { name: 'join'; code: string }
  | { name: 'link'; token: string }
  | { name: 'verify'; token: string }
  | { name: 'reset'; token: string }

/** parsePublicPath returns the public page for a path, or null for the admin app. */
export function parsePublicPath(pathname: string, search = ''): PublicRoute | null {
  const parts = pathname.split('/').filter((p) => p !== '')
  const q = new URLSearchParams(search)
  if (parts.length === 1 && parts[0] === 'signin') {
    const org = q.get('org')
    return org ? { name: 'signin', username: q.get('username') ?? '', org } : { name: 'signin', username: q.get('username') ?? '' }
  }
  if (parts.length === 1 && parts[0] === 'account') return { name: 'account' }
  if (parts.length === 2 && parts[0] === 'account' && parts[1] === 'new-password') return { name: 'new-password' }
  if (parts.length === 2 && parts[0] === 'invite' && parts[1]) return { name: 'invite', token: parts[1] }
  if (parts[0] === 'join' && parts.length <= 2) return { name: 'join', code: parts[1] ?? '' }
  if (parts.length === 2 && parts[0] === 'link' && parts[1]) return { name: 'link', token: parts[1] }
  if (parts.length === 2 && parts[0] === 'verify' && parts[1]) return { name: 'verify', token: parts[1] }
  if (parts.length === 2 && parts[0] === 'reset' && parts[1]) return { name: 'reset', token: parts[1] }
  return null
}

/** signinPath is the portal's address, with the login filled in when given. */
export function signinPath(username = ''): string {
  return username ? '/signin?username=' + encodeURIComponent(username) : '/signin'
}

/** newPasswordPath is the page where an account that must change its password chooses the new one. */
export const newPasswordPath = '/account/new-password'

/** passwordChangeRequired is the API's error code while the account must choose a new password first. */
export const passwordChangeRequired = 'password_change_required'
