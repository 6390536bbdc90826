// The API calls of invite codes (app/invitecode.go, app/httpapi/invitecode.go):
// the organization's own code (group '' or '-') and each group's.
import { api, getFile, orgPath } from '../../lib/api'
import { saveDownload } from '../../lib/download'
import type { InviteCode, Organization } from '../../lib/types'

/** codePath is the API path of the organization's code (group '' or '-') or a group's. */
export function codePath(org: string, group: string, ...rest: string[]): string {
  if (!group || group === '-') return orgPath(org, 'invite-code', ...rest)
  return orgPath(org, 'groups', group, 'invite-code', ...rest)
}

/** withBase adds ?base= when a base address was chosen. */
export function withBase(path: string, base: string, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams(extra)
  if (base) p.set('base', base)
  const qs = p.toString()
  return qs ? `${path}?${qs}` : path
}

export async function listCodes(org: string): Promise<InviteCode[]> {
  return (await api.get<{ codes: InviteCode[] }>(orgPath(org, 'invite-codes'))).codes
}

/** getCode returns a code with its address built on base ('' for the default). */
export const getCode = (org: string, group: string, base = '') => api.get<InviteCode>(withBase(codePath(org, group), base))

export const updateCode = (org: string, group: string, body: Record<string, unknown>) => api.patch<InviteCode>(codePath(org, group), body)

export const regenerateCode = (org: string, group: string) => api.post<InviteCode>(codePath(org, group, 'regenerate'))

/** qrImageURL is the address of a code's QR image, for an <img>; v changes with the code so the browser fetches it again. */
export const qrImageURL = (org: string, group: string, base: string, v: string) => withBase(codePath(org, group, 'qr.svg'), base, { v })

export type CodeFile = 'qr.png' | 'qr.svg' | 'poster-a4' | 'poster-letter'

/** saveCodeFile downloads a code's QR code or poster through the one download helper. */
export async function saveCodeFile(org: Organization, code: InviteCode, file: CodeFile, base: string): Promise<string> {
  const group = code.group_id ?? ''
  let path: string
  if (file === 'poster-a4' || file === 'poster-letter') {
    path = withBase(codePath(org.slug, group, 'poster.pdf'), base, { paper: file === 'poster-a4' ? 'a4' : 'letter' })
  } else {
    path = withBase(codePath(org.slug, group, file), base)
  }
  return saveDownload(await getFile(path, `code-${code.code}.${file.startsWith('poster') ? 'pdf' : file.slice(3)}`))
}
