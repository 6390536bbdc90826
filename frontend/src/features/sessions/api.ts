// The API calls of admin sessions (app/session.go, app/httpapi/session.go):
// who is signed in, the first-run setup, sign-in and sign-out. None of them
// treats 401 as "the session ended": they are how a session starts.
import { endSessionOf, type EndSession } from '../sso/api'
import { api, request } from '../../lib/api'
import type { AdminSession, Session, SetupState, SignInHold } from '../../lib/types'

export const getSession = () => api.get<Session>('/api/session', { quiet401: true })

export const signIn = (username: string, password: string) => api.post<Session>('/api/session', { username, password }, { quiet401: true })

/** signOut ends the admin session; it returns the provider's end-session offer when the session began at one. */
export const signOut = async (): Promise<EndSession | null> => endSessionOf(await request<unknown>('DELETE', '/api/session', undefined, { quiet401: true }))

export const getSetup = () => api.get<SetupState>('/api/setup', { quiet401: true })

/** setup creates the first admin and signs them in. */
export const setup = (username: string, password: string) => api.post<Session>('/api/setup', { username, password }, { quiet401: true })

/** signInHolds lists the accounts held back by failed sign-ins. */
export const signInHolds = () => api.get<SignInHold[]>('/api/signin-holds', { quiet401: true })

/** unlockSignIn forgives an account's failed sign-ins. */
export const unlockSignIn = (accountID: string) => api.del(`/api/signin-holds/${encodeURIComponent(accountID)}`)

/** secondFactor finishes a two-step sign-in with the code (the pending sign-in is an HttpOnly cookie). */
export const secondFactor = (code: string) => api.post<Session>('/api/session/second-factor', { code }, { quiet401: true })

/** mySessions lists the signed-in admin's own sessions, the current one marked. */
export const mySessions = () => api.get<{ sessions: AdminSession[] }>('/api/me/sessions')

/** endMySession signs one of one's own sessions out. */
export const endMySession = (id: string) => api.del('/api/me/sessions/' + encodeURIComponent(id))

/** endOtherSessions signs out everywhere but in this browser. */
export const endOtherSessions = () => api.post<{ ended: number }>('/api/me/sessions/sign-out-others')
