// The API calls of admins (app/admin.go, app/httpapi/admin.go): the list,
// a new password, disable/enable and delete.
import { api } from '../../lib/api'
import type { Admin } from '../../lib/types'

const path = (a: Admin) => '/api/admins/' + encodeURIComponent(a.id)

export const listAdmins = () => api.get<{ admins: Admin[] }>('/api/admins')

export const setAdminDisabled = (a: Admin, disabled: boolean) => api.post<Admin>(path(a) + (disabled ? '/disable' : '/enable'))

export const setAdminPassword = (a: Admin, password: string) => api.put<Admin>(path(a) + '/password', { password })

export const deleteAdmin = (a: Admin) => api.del(path(a))
