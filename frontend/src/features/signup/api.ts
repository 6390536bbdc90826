// The API calls of sign-up (app/signup.go, app/httpapi/signup.go and lan.go):
// the approval queue, the limit on wrong codes, the sign-up listener on this
// network, and the public sign-up page (by code or by link).
import { api, orgPath, type RequestOptions } from '../../lib/api'
import type { JoinInfo, PendingSignUp, PublicStatus, SignUpPause, SignUpResult, VerifiedEmail } from '../../lib/types'

export async function listSignUps(org: string): Promise<PendingSignUp[]> {
  return (await api.get<{ signups: PendingSignUp[] }>(orgPath(org, 'signups'))).signups
}

export async function countPending(org: string): Promise<number> {
  return (await api.get<{ pending: number }>(orgPath(org, 'signups', 'count'))).pending
}

/** decideSignUps approves or rejects the named sign-ups, or all of them. */
export const decideSignUps = (org: string, approve: boolean, who: { all: true } | { ids: string[] }, opts?: RequestOptions) =>
  api.post<Record<string, number>>(orgPath(org, 'signups', approve ? 'approve' : 'reject'), who, opts)

export const getSignUpPause = () => api.get<SignUpPause>('/api/signup-pause')

export const clearSignUpPause = () => api.del('/api/signup-pause')

export const getSignUpNetwork = () => api.get<PublicStatus>('/api/lan')

/** openSignUpNetwork opens the sign-up listener on this network. */
export const openSignUpNetwork = () => api.post<PublicStatus>('/api/lan', {})

export const closeSignUpNetwork = () => api.del('/api/lan')

/** The public sign-up page: by class code, or by invite link (its token). */
export type JoinVia = { code: string } | { token: string }

export function getJoinInfo(via: JoinVia): Promise<JoinInfo> {
  if ('code' in via) return api.get<JoinInfo>('/api/public/codes/' + encodeURIComponent(via.code), { quiet401: true })
  return api.post<JoinInfo>('/api/public/links/info', { token: via.token }, { quiet401: true })
}

export function signUp(via: JoinVia, body: Record<string, unknown>): Promise<SignUpResult> {
  if ('code' in via) return api.post<SignUpResult>('/api/public/codes/' + encodeURIComponent(via.code) + '/signup', body, { quiet401: true })
  return api.post<SignUpResult>('/api/public/links/signup', { ...body, token: via.token }, { quiet401: true })
}

/** verifyEmail confirms a sign-up's address with the token of its mail (public). */
export const verifyEmail = (token: string) => api.post<VerifiedEmail>('/api/public/verify-email', { token }, { quiet401: true })
