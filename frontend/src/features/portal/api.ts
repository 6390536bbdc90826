// The API calls of the user's own portal (app/portal.go, app/httpapi/portal.go):
// sign-in, the account page, changing the password, and joining a group by code.
import { endSessionOf, type EndSession } from '../sso/api'
import { api } from '../../lib/api'
import type { MyAccount, PasswordChangeForm, SignUpResult } from '../../lib/types'

export const signIn = (login: string, password: string) => api.post<MyAccount>('/api/public/signin', { login, password }, { quiet401: true })

/** signOut ends the portal session; it returns the provider's end-session offer when the session began at one. */
export const signOut = async (): Promise<EndSession | null> => endSessionOf(await api.post<unknown>('/api/public/signout', {}, { quiet401: true }))

export const getAccount = () => api.get<MyAccount>('/api/public/account', { quiet401: true })

export const changePassword = (current_password: string, new_password: string) => api.post('/api/public/account/password', { current_password, new_password })

/** useInviteCode joins the group (or organization) of an invite code. */
export const useInviteCode = (code: string) => api.post<SignUpResult>('/api/public/account/invite-code', { code }, { quiet401: true })

/** getPasswordChange is the screen of an account that must choose a new password (with a suggestion). */
export const getPasswordChange = () => api.get<PasswordChangeForm>('/api/public/account/new-password', { quiet401: true })

/** chooseNewPassword sets it, right after signing in: the old one is not asked again. */
export const chooseNewPassword = (password: string) => api.post('/api/public/account/new-password', { password }, { quiet401: true })
