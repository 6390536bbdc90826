// The API calls of bulk import (app/import.go, app/httpapi/import.go): send a
// file or pasted lines, preview it with options and fixed cells, commit it as
// a job, and the files it leaves (results, slips) and the templates.
import { api, ApiError, getFile, orgPath, upload as uploadRaw } from '../../lib/api'
import { downloadFile, type DownloadResult } from '../../lib/download'
import { getJobFile, jobPath, type JobStatus } from '../jobs/api'
import { t } from '../../lib/i18n.svelte'
import type { ImportEdit, ImportOptions, ImportPreview, ImportResult } from './imports'

/** maxUploadMB matches the server's limit (app/roster MaxBytes), so a huge file is refused before it is sent. */
export const maxUploadMB = 50
export const maxUploadBytes = maxUploadMB * 1024 * 1024

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
    throw new ApiError(400, 'invalid', t('import.tooLarge', { mb: maxUploadMB }))
  }
  return uploadRaw<Uploaded>(uploadPath(org, name, paste), body, paste ? 'text/plain; charset=utf-8' : 'application/octet-stream')
}

/** uploadFiles sends several files chosen at once (a OneRoster bundle's CSV files) as one upload. */
export async function uploadFiles(org: string, files: File[]): Promise<Uploaded> {
  if (files.reduce((n, f) => n + f.size, 0) > maxUploadBytes) {
    throw new ApiError(400, 'invalid', t('import.tooLargeFiles', { mb: maxUploadMB }))
  }
  const form = new FormData()
  for (const f of files) form.append('file', f, f.name)
  return uploadRaw<Uploaded>(orgPath(org, 'imports'), form, 'multipart/form-data')
}

export function preview(org: string, draft: string, options: ImportOptions, edits: ImportEdit[], signal?: AbortSignal): Promise<ImportPreview> {
  return api.post<ImportPreview>(orgPath(org, 'imports', draft, 'preview'), { options, edits }, { signal })
}

export function commit(org: string, draft: string, options: ImportOptions, edits: ImportEdit[]): Promise<JobStatus> {
  return api.post<JobStatus>(orgPath(org, 'imports', draft, 'commit'), { options, edits })
}

/** getImportResult returns what a finished import job created and skipped. */
export const getImportResult = (job: string) => api.get<ImportResult>(jobPath(job, 'import'))

/** downloadTemplate saves the CSV or Excel template. */
export async function downloadTemplate(format: 'csv' | 'xlsx'): Promise<DownloadResult> {
  const f = await getFile('/api/imports/template?format=' + format, 'rollcall-import-template.' + format)
  return downloadFile(f.name, f.blob)
}

/** downloadResults saves the results file of a finished import job. */
export async function downloadResults(job: string, format: 'csv' | 'xlsx' | 'slips'): Promise<DownloadResult> {
  const f =
    format === 'slips'
      ? await getJobFile(job, 'import-slips', {}, 'rollcall-slips.pdf')
      : await getJobFile(job, 'import-results', { format }, 'rollcall-import-results.' + format)
  return downloadFile(f.name, f.blob)
}
