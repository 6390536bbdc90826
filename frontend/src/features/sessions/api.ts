// The API calls of admin sessions (app/session.go, app/httpapi/session.go):
// who is signed in, the first-run setup, sign-in and sign-out. None of them
// treats 401 as "the session ended": they are how a session starts.
import { api } from '../../lib/api'
import type { Session, SetupState, SignInHold } from '../../lib/types'

export const getSession = () => api.get<Session>('/api/session', { quiet401: true })

export const signIn = (username: string, password: string) => api.post<Session>('/api/session', { username, password }, { quiet401: true })

export const signOut = () => api.del('/api/session', { quiet401: true })

export const getSetup = () => api.get<SetupState>('/api/setup', { quiet401: true })

/** setup creates the first admin and signs them in. */
export const setup = (username: string, password: string) => api.post<Session>('/api/setup', { username, password }, { quiet401: true })

/** signInHolds lists the accounts held back by failed sign-ins. */
export const signInHolds = () => api.get<SignInHold[]>('/api/signin-holds', { quiet401: true })

/** unlockSignIn forgives an account's failed sign-ins. */
export const unlockSignIn = (accountID: string) => api.del(`/api/signin-holds/${encodeURIComponent(accountID)}`)
