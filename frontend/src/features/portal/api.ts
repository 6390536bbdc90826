// The API calls of the user's own portal (app/portal.go, app/httpapi/portal.go):
// sign-in, the account page, changing the password, and joining a group by code.
import type { PasswordRules } from '../../lib/types'
import { endSessionOf, type EndSession } from '../sso/api'
import { api } from '../../lib/api'
import type { MyAccount, PasswordChangeForm, SignUpResult } from '../../lib/types'

export const signIn = (login: string, password: string) => api.post<MyAccount>('/api/public/signin', { login, password }, { quiet401: true })

/** badgeSignIn signs in with a badge's code (and its PIN, when the answer asked for one). */
export const badgeSignIn = (code: string, pin = '') => api.post<MyAccount>('/api/public/badge-signin', { code, pin }, { quiet401: true })

/** signOut ends the portal session; it returns the provider's end-session offer when the session began at one. */
export const signOut = async (): Promise<EndSession | null> => endSessionOf(await api.post<unknown>('/api/public/signout', {}, { quiet401: true }))

export const getAccount = () => api.get<MyAccount>('/api/public/account', { quiet401: true })

export const changePassword = (current_password: string, new_password: string) => api.post('/api/public/account/password', { current_password, new_password })

/** useInviteCode joins the group of an invite code; with move, the account moves to the code's (other) organization. */
export const useInviteCode = (code: string, move = false) => api.post<SignUpResult>('/api/public/account/invite-code', { code, move }, { quiet401: true })

/** CodeCheck says whose a code is before it is used (app.CodeCheck). */
export interface CodeCheck {
  organization: string
  group?: string
  other_organization: boolean
  approval: boolean
}

export const checkInviteCode = (code: string) => api.post<CodeCheck>('/api/public/account/invite-code/check', { code }, { quiet401: true })

/** requestPasswordReset asks for a link by mail; the answer is the same whether or not the address has an account. */
export const requestPasswordReset = (email: string) => api.post<{ message: string }>('/api/public/password-reset', { email })

/** ResetPage is what a set-password link's page shows (app.ResetPage). */
export interface ResetPage {
  /** the password rule itself, for the page to word in its language */
  policy_rules?: PasswordRules
  organization: string
  first_name: string
  login: string
  activation: boolean
  policy: string
  min_length: number
  expires_at: string
}

export const getResetPage = (token: string) => api.post<ResetPage>('/api/public/password-reset/info', { token })

export const resetPassword = (token: string, password: string) => api.post<{ login: string }>('/api/public/password-reset/confirm', { token, password })

/** SignInOptions: the organization the sign-in page was opened for (?org=slug). */
export interface SignInOptions {
  organization: string
  signup_open: boolean
}

export const getSignInOptions = (slug: string) => api.get<SignInOptions>('/api/public/organizations/' + encodeURIComponent(slug) + '/signin')

/** getPasswordChange is the screen of an account that must choose a new password (with a suggestion). */
export const getPasswordChange = () => api.get<PasswordChangeForm>('/api/public/account/new-password', { quiet401: true })

/** chooseNewPassword sets it, right after signing in: the old one is not asked again. */
export const chooseNewPassword = (password: string) => api.post('/api/public/account/new-password', { password }, { quiet401: true })

/** getAppSignIn names the connected app a sign-in is for (/signin?authRequest=ID). */
export const getAppSignIn = (id: string) => api.get<{ app: string }>(`/api/public/app-signin/${encodeURIComponent(id)}`, { quiet401: true })

/** completeAppSignIn finishes an app's sign-in for the signed-in person; the answer says where the browser goes next. */
export const completeAppSignIn = (id: string) =>
  api.post<{ redirect: string }>(`/api/public/app-signin/${encodeURIComponent(id)}`, {}, { quiet401: true })
