// Accounts for pupils without email: pasted lines, the preview, the job
// that creates them (or resets passwords) and the one-time files it leaves.
import { api, getFile, orgPath } from './api'
import { downloadFile, type DownloadResult } from './download'

export interface NameLine {
  line: number
  form: string
  first_name: string
  last_name: string
  username?: string
  /** the line has a pasted password (the API never sends it back) */
  has_password?: boolean
}

export interface AccountRow extends NameLine {
  username_generated: boolean
  login_email?: string
  problems?: Record<string, string>
}

export interface AccountPreview {
  rows: AccountRow[]
  problems: number
  account_type: string
  password_mode: string
  password_style: string
  password_bits: number
}

export interface JobStatus {
  id: string
  kind: string
  state: 'running' | 'done' | 'failed' | 'cancelled'
  done: number
  total: number
  error?: string
  code?: string
}

export interface BatchSettings {
  account_type: string
  groups: string[]
  password_mode: 'random' | 'same' | 'given'
  password_style: string
  password: string
  must_change_password: boolean
}

export const formLabels: Record<string, string> = {
  'first last': 'First Last',
  'last, first': 'Last, First',
  columns: 'Columns',
  username: 'Username only',
}

/**
 * personKey names a pasted person by what was typed, not by line number, so
 * an edited username stays with its person when lines are added above. The
 * n-th person with the same name gets the n-th key.
 */
export function personKeys(people: NameLine[]): string[] {
  const seen = new Map<string, number>()
  return people.map((p) => {
    const base = `${p.first_name}\u0001${p.last_name}\u0001${p.username ?? ''}`
    const n = (seen.get(base) ?? 0) + 1
    seen.set(base, n)
    return `${base}\u0001${n}`
  })
}

/**
 * lineUsernames maps line numbers to the usernames a person typed in the
 * preview, for the server, which parses the same text again: the pasted
 * passwords travel only in that text, never back and forth as fields.
 */
export function lineUsernames(people: NameLine[], overrides: Map<string, string>): Record<string, string> {
  const keys = personKeys(people)
  const out: Record<string, string> = {}
  people.forEach((p, i) => {
    const u = overrides.get(keys[i])
    if (u) out[String(p.line)] = u
  })
  return out
}

export function parseNames(org: string, text: string): Promise<{ people: NameLine[] }> {
  return api.post(orgPath(org, 'accounts', 'parse'), { text })
}

/** Batch is what a preview was made from, and what Create then sends. */
export interface Batch {
  text: string
  usernames: Record<string, string>
  settings: BatchSettings
}

export function previewAccounts(org: string, b: Batch, signal?: AbortSignal): Promise<AccountPreview> {
  return api.post(orgPath(org, 'accounts', 'preview'), { text: b.text, usernames: b.usernames, ...b.settings }, { signal })
}

export function createAccounts(org: string, b: Batch): Promise<JobStatus> {
  return api.post(orgPath(org, 'accounts'), { text: b.text, usernames: b.usernames, ...b.settings })
}

export function resetPasswords(org: string, req: { user_ids?: string[]; group?: string; password_style?: string }): Promise<JobStatus> {
  return api.post(orgPath(org, 'accounts', 'reset'), req)
}

export const jobPath = (id: string) => '/api/jobs/' + encodeURIComponent(id)

export type FileKind = 'slips' | 'sheet' | 'csv'

/** downloadJobFile saves one of a finished job's files through the download helper. */
export async function downloadJobFile(id: string, kind: FileKind, paper: string, layout: string): Promise<DownloadResult> {
  const q = new URLSearchParams()
  if (kind !== 'csv') q.set('paper', paper)
  if (kind === 'slips') q.set('layout', layout)
  const qs = q.toString()
  const fallback = kind === 'csv' ? 'accounts.csv' : kind + '.pdf'
  const { blob, name } = await getFile(jobPath(id) + '/' + kind + (qs ? '?' + qs : ''), fallback)
  return downloadFile(name, blob)
}

/** strengthLabel describes bits of entropy for a person choosing a style. */
export function strengthLabel(bits: number): string {
  if (bits >= 50) return 'strong'
  if (bits >= 35) return 'good'
  if (bits >= 20) return 'fair for young pupils (sign-in attempts are limited)'
  return 'weak'
}
