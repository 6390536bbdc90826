// The API calls of email settings (app/smtp.go, app/httpapi/smtp.go).
import { api, orgPath } from '../../lib/api'
import type { SMTPSettings } from '../../lib/types'

/** What became of a test message (app.SMTPTestResult). */
export interface SMTPTestResult {
  ok: boolean
  headline: string
  message: string
}

export const getSMTP = (org: string) => api.get<SMTPSettings>(orgPath(org, 'smtp'))

/** putSMTP saves the relay settings; a password '' clears the stored one. */
export const putSMTP = (org: string, body: Record<string, unknown>) => api.put<SMTPSettings>(orgPath(org, 'smtp'), body)

export const testSMTP = (org: string, to: string) => api.post<SMTPTestResult>(orgPath(org, 'smtp', 'test'), { to })
