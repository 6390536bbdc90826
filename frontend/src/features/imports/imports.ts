// Bulk import from a file (CSV, Excel) or pasted lines: the shapes (see
// app/import.go and app/httpapi/import.go) and the small pure helpers the
// Import tab uses. The API calls are in api.ts.
import { t } from '../../lib/i18n.svelte'

export type RowStatus = 'create' | 'warning' | 'error' | 'skip'

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
  /** the file's password broke the rules: a new one is generated */
  password_replaced?: boolean
  /** the row's problems (errors) or warnings in one sentence, in column order; absent when there are none */
  reason?: string
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
  /** activation mails queued with the import (people with an email address) */
  activation_mails?: number
  again?: boolean
}

export interface ImportFileInfo {
  name: string
  sha256: string
  format: 'csv' | 'xlsx' | 'paste' | 'oneroster' | string
  /** the layout recognised by its header, e.g. "Microsoft Entra bulk-create template" */
  layout?: string
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
  /** mail each new person with an email address a link to set their password */
  send_activation: boolean
  again: boolean
  /** the account type of rows whose account type is empty ('' = the organization's first) */
  account_type: string
  /** generate a password for rows whose password breaks the rules */
  replace_bad_passwords: boolean
  /** what each column holds, for a file whose header was not recognised */
  mapping?: ColumnMapping
}

export interface ColumnMapping {
  /** a field, 'full_name', or '' to leave the column out */
  columns: string[]
  /** the first row names the columns */
  header: boolean
}

/** MappingStep asks what each column of a file holds (app.MappingStep). */
export interface MappingStep {
  required: boolean
  remembered: boolean
  header: boolean
  columns: { first: string; samples: string[] }[]
  chosen: string[]
  fields: string[]
}

export interface ImportPreview {
  file: ImportFileInfo
  fields: string[]
  rows: ImportRowPreview[]
  create: number
  warnings: number
  errors: number
  skipped: number
  mapping?: MappingStep
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
  send_activation: false,
  again: false,
  account_type: '',
  replace_bad_passwords: false,
})

// Column headings in plain words, in the UI's language (src/locales).
const fieldLabels: Record<string, () => string> = {
  first_name: () => t('common.firstName'),
  last_name: () => t('common.lastName'),
  email: () => t('common.email'),
  username: () => t('common.username'),
  password: () => t('common.password'),
  account_type: () => t('import.field.accountType'),
  groups: () => t('common.groups'),
  language: () => t('common.language'),
  phone: () => t('import.field.phone'),
  labels: () => t('import.field.labels'),
  deletion_date: () => t('common.deletionDate'),
  job_title: () => t('import.field.jobTitle'),
  change_password: () => t('import.field.changePassword'),
  status: () => t('import.field.status'),
  full_name: () => t('import.field.fullName'),
}

/** fieldLabel is a column's heading in plain words; an unknown field as it is. */
export function fieldLabel(f: string): string {
  return fieldLabels[f]?.() ?? f
}

// What a row's status means, in words.
const statusLabels: Record<RowStatus, () => string> = {
  create: () => t('import.status.create'),
  warning: () => t('import.status.warning'),
  error: () => t('import.status.error'),
  skip: () => t('import.status.skip'),
}

/** statusLabel says what a row's status means. */
export function statusLabel(s: RowStatus): string {
  return statusLabels[s]?.() ?? s
}

/** Accepted file types for the file picker. */
export const fileAccept = '.csv,.tsv,.txt,.xlsx,.xlsm,.zip,text/csv,text/plain,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/**
 * shownFields are the columns to show in the preview: the ones the file
 * has (a pasted list has first, last, email, password), in template order,
 * never the password column (passwords are not shown on screen).
 */
export function shownFields(p: ImportPreview): string[] {
  const has = new Set(p.file.columns.flatMap((c) => (c === 'full_name' ? ['first_name', 'last_name'] : [c])))
  if (p.rows.some((r) => r.status === 'skip' || r.values[p.fields.indexOf('status')])) has.add('status')
  has.add('first_name')
  has.add('last_name')
  return p.fields.filter((f) => has.has(f) && f !== 'password')
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

/** mappingLabel names what a column may hold in the mapping step. */
export const mappingLabel = (f: string) => (f === '' ? t('import.leaveOut') : fieldLabel(f))
