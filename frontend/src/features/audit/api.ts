// The API calls of the audit log (app/audit.go, app/httpapi/audit.go).
import { api, getFile } from '../../lib/api'
import { saveDownload } from '../../lib/download'
import type { AuditEntry } from '../../lib/types'

/** AuditQuery is the page's filters; empty fields select everything. */
export interface AuditQuery {
  org: string // a slug, or '' for every organization and the admins' own entries
  actor: string
  action: string
  person: string
  from: string // YYYY-MM-DD
  to: string // YYYY-MM-DD, inclusive
}

/** auditQueryString is the query string of the filters (and the page cursor). */
export function auditQueryString(q: AuditQuery, cursor = '', limit = 0): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (v) p.set(k, v.trim())
  if (cursor) p.set('cursor', cursor)
  if (limit) p.set('limit', String(limit))
  const s = p.toString()
  return s ? '?' + s : ''
}

export const getAudit = (q: AuditQuery, cursor = '', limit = 50) =>
  api.get<{ entries: AuditEntry[]; next?: string }>('/api/audit' + auditQueryString(q, cursor, limit))

/** downloadAuditCSV saves every entry that passes the filters as a CSV. */
export async function downloadAuditCSV(q: AuditQuery) {
  return saveDownload(await getFile('/api/audit.csv' + auditQueryString(q), 'rollcall-audit.csv'))
}
