// The API calls of invitations by email (app/invitation.go,
// app/httpapi/invitation.go): the admin's list and actions, and the public
// page where an invited person accepts.
import { api, orgPath } from '../../lib/api'
import type { Invitation, InvitationPage, InviteResult } from '../../lib/types'

export const listInvitations = (org: string) => api.get<Invitation[]>(orgPath(org, 'invitations'))

export const invite = (org: string, body: Record<string, unknown>) => api.post<InviteResult>(orgPath(org, 'invitations'), body)

/** actOnInvitation cancels or resends one invitation. */
export const actOnInvitation = (org: string, id: string, what: 'cancel' | 'resend') => api.post(orgPath(org, 'invitations', id, what))

export const resendExpired = (org: string) => api.post<{ count: number }>(orgPath(org, 'invitations', 'resend-expired'))

export const getInvitationPage = (token: string) => api.post<InvitationPage>('/api/public/invitation', { token }, { quiet401: true })

export const acceptInvitation = (body: { token: string; first_name: string; last_name: string; password: string; current_password: string }) =>
  api.post<{ login: string }>('/api/public/invitation/accept', body, { quiet401: true })
