// Exports (app/export.go, app/httpapi/export.go): the people of an
// organization, a group or the users list's selection as a file another
// system imports, and the one-time accounts of a job in the same formats.
// Every file is saved through the one download helper.
import { getFile, orgPath, postFile } from '../../lib/api'
import { downloadFile, type DownloadResult } from '../../lib/download'
import { jobPath } from '../jobs/api'
import { t } from '../../lib/i18n.svelte'
import type { BulkFilter } from '../users/api'

export type ExportFormat = 'csv' | 'xlsx' | 'oneroster' | 'google' | 'entra' | 'moodle'

export interface FormatInfo {
  value: ExportFormat
  label: string
  /** what the file is for, in a sentence */
  hint: string
}

/**
 * The formats, in the order the menus offer them (app.ExportFormats), named
 * and explained in the UI's language (src/locales); product names stay.
 */
export const exportFormats: FormatInfo[] = [
  { value: 'xlsx', get label() { return t('export.format.xlsx') }, get hint() { return t('export.hint.xlsx') } },
  { value: 'csv', get label() { return t('export.format.csv') }, get hint() { return t('export.hint.csv') } },
  { value: 'oneroster', label: 'OneRoster 1.1 (.zip)', get hint() { return t('export.hint.oneroster') } },
  { value: 'google', label: 'Google Workspace (CSV)', get hint() { return t('export.hint.google') } },
  { value: 'entra', label: 'Microsoft Entra ID (CSV)', get hint() { return t('export.hint.entra') } },
  { value: 'moodle', label: 'Moodle (CSV)', get hint() { return t('export.hint.moodle') } },
]

/** Languages whose spreadsheets separate CSV fields with ";" (app.DelimiterFor). */
const semicolonLanguages = new Set(
  'de fr fi sv nl da nb nn no es it pt pl cs sk hu ro ru uk tr el et lv lt sl hr sr bg is ca eu gl id vi'.split(' '),
)

/** defaultDelimiter is the separator a spreadsheet in the language expects. */
export function defaultDelimiter(language: string): ',' | ';' {
  const base = (language || '').toLowerCase().split(/[-_]/)[0]
  return semicolonLanguages.has(base) ? ';' : ','
}

export type Selection = { ids: string[] } | { filter: BulkFilter }

/** ExportRequest is app.ExportRequest: the format, its CSV options, and the scope. */
export interface ExportRequest {
  format: ExportFormat
  delimiter?: string
  encoding?: string
  group?: string
  selection?: Selection
}

/** fallbackName is the file name used when the answer names none. */
export function fallbackName(format: ExportFormat, prefix = 'rollcall'): string {
  if (format === 'csv' || format === 'xlsx') return `${prefix}.${format}`
  return format === 'oneroster' ? `${prefix}-oneroster.zip` : `${prefix}-${format}.csv`
}

/** csvOptions keeps the delimiter and encoding only for the CSV format. */
function csvOptions(format: ExportFormat, delimiter?: string, encoding?: string): { delimiter?: string; encoding?: string } {
  return format === 'csv' ? { delimiter: delimiter || undefined, encoding: encoding || undefined } : {}
}

/** exportUsers asks for the export and saves it through the download helper. */
export async function exportUsers(org: string, req: ExportRequest): Promise<DownloadResult> {
  const body: ExportRequest = { format: req.format, ...csvOptions(req.format, req.delimiter, req.encoding) }
  if (req.group) body.group = req.group
  if (req.selection) body.selection = req.selection
  const f = await postFile(orgPath(org, 'users', 'export'), body, fallbackName(req.format))
  return downloadFile(f.name, f.blob)
}

/** credentialsQuery is the query of a job's credentials file. */
export function credentialsQuery(format: ExportFormat, delimiter?: string, encoding?: string): string {
  const q = new URLSearchParams({ format })
  const o = csvOptions(format, delimiter, encoding)
  if (o.delimiter) q.set('delimiter', o.delimiter === '\t' ? 'tab' : o.delimiter)
  if (o.encoding) q.set('encoding', o.encoding)
  return q.toString()
}

/** downloadCredentials saves a finished job's accounts, with their passwords, in a format. */
export async function downloadCredentials(job: string, format: ExportFormat, delimiter?: string, encoding?: string): Promise<DownloadResult> {
  const f = await getFile(jobPath(job, 'credentials') + '?' + credentialsQuery(format, delimiter, encoding), fallbackName(format, 'accounts'))
  return downloadFile(f.name, f.blob)
}
