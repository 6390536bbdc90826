// The API calls of SMS settings (app/sms.go, app/httpapi/sms.go).
import { api, orgPath } from '../../lib/api'
import type { SignUpResult } from '../../lib/types'

/** The organization's SMS gateway as shown to an admin (app.SMSView): never the secret. */
export interface SMSSettings {
  enabled: boolean
  provider: 'kannel' | 'twilio'
  url: string
  username: string
  from: string
  daily_limit: number
  secret_set: boolean
  configured: boolean
  sent_today: number
}

/** What became of a test SMS (app.SMSTestResult). */
export interface SMSTestResult {
  ok: boolean
  headline: string
  message: string
}

export const getSMS = (org: string) => api.get<SMSSettings>(orgPath(org, 'sms'))

/** putSMS saves the gateway settings; a secret '' clears the stored one, none keeps it. */
export const putSMS = (org: string, body: Record<string, unknown>) => api.put<SMSSettings>(orgPath(org, 'sms'), body)

export const testSMS = (org: string, to: string) => api.post<SMSTestResult>(orgPath(org, 'sms', 'test'), { to })

/** verifyPhoneSignUp types the code sent by SMS to a sign-up waiting for it (public); a right one makes the account. */
export const verifyPhoneSignUp = (id: string, code: string) => api.post<SignUpResult>('/api/public/signup/phone', { id, code }, { quiet401: true })

/** redeemActivationCode turns the code of an activation SMS, typed on /signin with the username, into a one-time token for /reset/{token} (public). */
export const redeemActivationCode = (login: string, code: string) =>
  api.post<{ token: string }>('/api/public/activation-code', { login, code }, { quiet401: true })
