// Helpers for invite codes, links and the sign-up listener.
import { api, ApiError, filenameFromDisposition, getFile, orgPath, parseApiError } from './api'
import { downloadFile } from './download'
import type { InviteCode, Organization } from './types'

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
  const { blob, name } = await getFile(path, `code-${code.code}.${file.startsWith('poster') ? 'pdf' : file.slice(3)}`)
  const r = await downloadFile(name, blob)
  return r.via === 'native' ? (r.saved ? `Saved to ${r.path}.` : '') : `${name} downloaded.`
}

/** postFile downloads a file that needs a JSON body (an invite link's QR code: its token). */
export async function postFile(path: string, body: unknown, fallbackName: string): Promise<string> {
  let res: Response
  try {
    res = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  } catch {
    throw new ApiError(0, 'network', 'Rollcall could not be reached. Check that it is still running, then try again.')
  }
  if (!res.ok) throw parseApiError(res.status, await res.text())
  const name = filenameFromDisposition(res.headers.get('Content-Disposition'), fallbackName)
  const r = await downloadFile(name, await res.blob())
  return r.via === 'native' ? (r.saved ? `Saved to ${r.path}.` : '') : `${name} downloaded.`
}

/** openSignUpNetwork opens the sign-up listener on this network. */
export function openSignUpNetwork() {
  return api.post<{ open: boolean; urls: string[] }>('/api/lan', {})
}

/** formatWhen shows an ISO time as a short local date and time. */
export function formatWhen(iso: string | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
}

/** toLocalInput turns an ISO time into a datetime-local value; fromLocalInput back. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export function fromLocalInput(v: string): string | null {
  if (!v) return null
  const d = new Date(v)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}
