// Bulk import from a file (CSV, Excel) or pasted lines: the API calls and
// the small pure helpers the Import tab uses (see app/import.go and
// app/httpapi/import.go for the shapes).

import { api, ApiError, fallbackMessage, getFile, orgPath, parseApiError } from './api'
import { downloadFile, type DownloadResult } from './download'

export type RowStatus = 'create' | 'warning' | 'error'

export interface ImportRowPreview {
  line: number
  /** aligned with ImportPreview.fields */
  values: string[]
  status: RowStatus
  problems?: Record<string, string>
  warnings?: Record<string, string>
  username: string
  username_generated: boolean
  login_email: string
  password_generated: boolean
}

export interface ImportRecord {
  id: string
  file_name: string
  sha256: string
  created_at: string
  rows: number
  created: number
  skipped: number
  groups_created: string[]
  again?: boolean
}

export interface ImportFileInfo {
  name: string
  sha256: string
  format: 'csv' | 'xlsx' | 'paste' | string
  encoding?: string
  delimiter?: string
  sheet?: string
  columns: string[]
  unknown_columns: string[]
  rows: number
}

export interface ImportOptions {
  create_groups: boolean
  all_or_nothing: boolean
  password_mode: 'random' | 'same'
  password: string
  password_style: string
  must_change_password: boolean
  again: boolean
}

export interface ImportPreview {
  file: ImportFileInfo
  fields: string[]
  rows: ImportRowPreview[]
  create: number
  warnings: number
  errors: number
  missing_groups: string[]
  previous_imports: ImportRecord[]
  account_types: string[]
  password_bits: number
  password_rules: string
}

export interface ImportEdit {
  line: number
  field: string
  value: string
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

export interface ImportResultRow {
  line: number
  values: string[]
  status: 'created' | 'skipped'
  reason: string
  username: string
  login_email: string
}

export interface ImportResult {
  import: ImportRecord
  rows: ImportResultRow[]
  fields: string[]
  file: ImportFileInfo
}

export const defaultOptions = (): ImportOptions => ({
  create_groups: false,
  all_or_nothing: false,
  password_mode: 'random',
  password: '',
  password_style: '',
  must_change_password: false,
  again: false,
})

/** Column headings in plain words. */
export const fieldLabels: Record<string, string> = {
  first_name: 'First name',
  last_name: 'Last name',
  email: 'Email',
  username: 'Username',
  password: 'Password',
  account_type: 'Account type',
  groups: 'Groups',
  language: 'Language',
  phone: 'Phone',
  labels: 'Labels',
  deletion_date: 'Deletion date',
  job_title: 'Job title',
}

/** What a row's status means, in words. */
export const statusLabels: Record<RowStatus, string> = {
  create: 'Will be created',
  warning: 'Will be created — check',
  error: 'Will not be created',
}

/** Accepted file types for the file picker. */
export const fileAccept = '.csv,.tsv,.txt,.xlsx,.xlsm,text/csv,text/plain,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** MaxUploadBytes matches the server's limit, so a huge file is refused before it is sent. */
export const maxUploadBytes = 50 * 1024 * 1024

/**
 * shownFields are the columns to show in the preview: the ones the file
 * has (a pasted list has first, last, email, password), in template order,
 * never the password column (passwords are not shown on screen).
 */
export function shownFields(p: ImportPreview): string[] {
  const has = new Set(p.file.columns.flatMap((c) => (c === 'full_name' ? ['first_name', 'last_name'] : [c])))
  has.add('first_name')
  has.add('last_name')
  return p.fields.filter((f) => has.has(f) && f !== 'password')
}

/** reason joins a row's messages in the order of the columns. */
export function reason(r: ImportRowPreview, fields: string[]): string {
  const m = r.status === 'error' ? (r.problems ?? {}) : (r.warnings ?? {})
  const out: string[] = []
  for (const f of fields) if (m[f]) out.push(m[f])
  for (const [f, msg] of Object.entries(m)) if (!fields.includes(f)) out.push(msg)
  return out.join(' ')
}

/** editKey names one cell. */
export const editKey = (line: number, field: string) => `${line}:${field}`

/** toEdits turns the cells typed over (key → value) into the API's list. */
export function toEdits(cells: Map<string, string>): ImportEdit[] {
  const out: ImportEdit[] = []
  for (const [k, value] of cells) {
    const i = k.indexOf(':')
    out.push({ line: Number(k.slice(0, i)), field: k.slice(i + 1), value })
  }
  return out.sort((a, b) => a.line - b.line || a.field.localeCompare(b.field))
}

/** uploadPath is where a file (or pasted text) is sent. */
export function uploadPath(org: string, name: string, paste: boolean): string {
  const q = new URLSearchParams(paste ? { format: 'paste' } : { name })
  return orgPath(org, 'imports') + '?' + q.toString()
}

export interface Uploaded {
  draft: string
  preview: ImportPreview
}

/** upload sends a file's bytes (or pasted text) and returns the draft and its first preview. */
export async function upload(org: string, body: Blob | string, name: string, paste = false): Promise<Uploaded> {
  if (typeof body !== 'string' && body.size > maxUploadBytes) {
    throw new ApiError(400, 'invalid', 'The file is larger than 50 MB. Split it into smaller files, or remove columns Rollcall does not use.')
  }
  let res: Response
  try {
    res = await fetch(uploadPath(org, name, paste), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'Content-Type': paste ? 'text/plain; charset=utf-8' : 'application/octet-stream' },
      body,
    })
  } catch {
    throw new ApiError(0, 'network', fallbackMessage(0))
  }
  const text = await res.text()
  if (!res.ok) throw parseApiError(res.status, text)
  return JSON.parse(text) as Uploaded
}

export function preview(org: string, draft: string, options: ImportOptions, edits: ImportEdit[], signal?: AbortSignal): Promise<ImportPreview> {
  return api.post<ImportPreview>(orgPath(org, 'imports', draft, 'preview'), { options, edits }, { signal })
}

export function commit(org: string, draft: string, options: ImportOptions, edits: ImportEdit[]): Promise<JobStatus> {
  return api.post<JobStatus>(orgPath(org, 'imports', draft, 'commit'), { options, edits })
}

export const jobPath = (id: string, what = '') => '/api/jobs/' + encodeURIComponent(id) + (what ? '/' + what : '')

/** downloadTemplate saves the CSV or Excel template. */
export async function downloadTemplate(format: 'csv' | 'xlsx'): Promise<DownloadResult> {
  const f = await getFile('/api/imports/template?format=' + format, 'rollcall-import-template.' + format)
  return downloadFile(f.name, f.blob)
}

/** downloadResults saves the results file of a finished import job. */
export async function downloadResults(job: string, format: 'csv' | 'xlsx' | 'slips'): Promise<DownloadResult> {
  const path = format === 'slips' ? jobPath(job, 'import-slips') : jobPath(job, 'import-results') + '?format=' + format
  const f = await getFile(path, format === 'slips' ? 'rollcall-slips.pdf' : 'rollcall-import-results.' + format)
  return downloadFile(f.name, f.blob)
}

/** plural: "1 row", "2 rows". */
export function plural(n: number, word: string, words = word + 's'): string {
  return `${n.toLocaleString('en')} ${n === 1 ? word : words}`
}
