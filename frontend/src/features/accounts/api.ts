// The API calls of accounts without email (app/account.go,
// app/httpapi/account.go): parse and preview pasted names, create them or
// reset passwords as a job, and the one-time files the job leaves.
import { api, orgPath } from '../../lib/api'
import { downloadFile, type DownloadResult } from '../../lib/download'
import { getJobFile, type JobStatus } from '../jobs/api'
import type { AccountPreview, Batch, NameLine } from './accounts'

export function parseNames(org: string, text: string): Promise<{ people: NameLine[] }> {
  return api.post(orgPath(org, 'accounts', 'parse'), { text })
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

export type FileKind = 'slips' | 'sheet' | 'csv'

/** downloadJobFile saves one of a finished job's files through the download helper. */
export async function downloadJobFile(id: string, kind: FileKind, paper: string, layout: string): Promise<DownloadResult> {
  const q: Record<string, string> = {}
  if (kind !== 'csv') q.paper = paper
  if (kind === 'slips') q.layout = layout
  const { blob, name } = await getJobFile(id, kind, q, kind === 'csv' ? 'accounts.csv' : kind + '.pdf')
  return downloadFile(name, blob)
}
