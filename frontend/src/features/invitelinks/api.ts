// The API calls of invite links (app/invitelink.go, app/httpapi/invitelink.go).
import { api, orgPath, postFile } from '../../lib/api'
import type { InviteLink, NewInviteLink } from '../../lib/types'

export async function listLinks(org: string): Promise<InviteLink[]> {
  return (await api.get<{ links: InviteLink[] }>(orgPath(org, 'invite-links'))).links
}

export const createLink = (org: string, body: Record<string, unknown>) => api.post<NewInviteLink>(orgPath(org, 'invite-links'), body)

/** renewLink makes a new address for a link (the old one stops working). */
export const renewLink = (org: string, id: string) => api.post<NewInviteLink>(orgPath(org, 'invite-links', id, 'renew'))

export const revokeLink = (org: string, id: string) => api.post(orgPath(org, 'invite-links', id, 'revoke'))

export const deleteLink = (org: string, id: string) => api.del(orgPath(org, 'invite-links', id))

export type LinkFile = 'qr.png' | 'qr.svg' | 'poster.pdf'

/** getLinkFile downloads a link's QR code or poster; it needs the token, which only the page that made it holds. */
export const getLinkFile = (org: string, id: string, file: LinkFile, body: Record<string, unknown>, fallbackName: string) =>
  postFile(orgPath(org, 'invite-links', id, file), body, fallbackName)
