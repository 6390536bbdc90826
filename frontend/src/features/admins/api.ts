// The API calls of admins (app/admin.go, app/totp.go, app/httpapi/admin.go,
// app/httpapi/totp.go): the list, a name, a new password, disable/enable,
// delete; one's own two-step sign-in, another admin's reset, and the rule
// that every admin must use it.
import { api } from '../../lib/api'
import type { Admin, SecuritySettings, TwoStepSetup, TwoStepStatus } from '../../lib/types'

const path = (a: Pick<Admin, 'id'>) => '/api/admins/' + encodeURIComponent(a.id)

export const listAdmins = () => api.get<{ admins: Admin[] }>('/api/admins')

export const setAdminDisabled = (a: Admin, disabled: boolean) => api.post<Admin>(path(a) + (disabled ? '/disable' : '/enable'))

export const setAdminPassword = (a: Pick<Admin, 'id'>, password: string) => api.put<Admin>(path(a) + '/password', { password })

export const setAdminName = (a: Pick<Admin, 'id'>, name: string) => api.put<Admin>(path(a) + '/name', { name })

export const deleteAdmin = (a: Admin) => api.del(path(a))

/** resetTwoStep turns another admin's two-step sign-in off (a lost phone). */
export const resetTwoStep = (a: Admin) => api.del(path(a) + '/two-step')

export const twoStepStatus = () => api.get<TwoStepStatus>('/api/me/two-step')

/** startTwoStep makes a new secret: its QR code and text, shown once. */
export const startTwoStep = () => api.post<TwoStepSetup>('/api/me/two-step/setup')

/** confirmTwoStep turns two-step sign-in on with a code from the app; the answer is the recovery codes, shown once. */
export const confirmTwoStep = (code: string) => api.post<{ recovery_codes: string[] }>('/api/me/two-step/confirm', { code })

export const turnOffTwoStep = (code: string) => api.post<void>('/api/me/two-step/off', { code })

export const newRecoveryCodes = (code: string) => api.post<{ recovery_codes: string[] }>('/api/me/two-step/recovery-codes', { code })

export const getSecurity = () => api.get<SecuritySettings>('/api/security')

export const putSecurity = (s: SecuritySettings) => api.put<SecuritySettings>('/api/security', s)
