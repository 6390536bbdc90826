// The API calls of users (app/user.go, app/httpapi/user.go).
import { api, orgPath } from '../../lib/api'
import type { User, UserPage } from '../../lib/types'

export interface UserQuery {
  page: number
  per_page: number
  q?: string
  group?: string
  type?: string
  status?: string
}

/** listUsers returns one page of the organization's users, filtered. */
export function listUsers(org: string, f: UserQuery): Promise<UserPage> {
  const p = new URLSearchParams({ page: String(f.page), per_page: String(f.per_page) })
  if (f.q) p.set('q', f.q)
  if (f.group) p.set('group', f.group)
  if (f.type) p.set('type', f.type)
  if (f.status) p.set('status', f.status)
  return api.get<UserPage>(orgPath(org, 'users') + '?' + p.toString())
}

export const createUser = (org: string, body: unknown) => api.post<User>(orgPath(org, 'users'), body)

export const updateUser = (org: string, id: string, body: unknown) => api.patch<User>(orgPath(org, 'users', id), body)

/** setUserActive activates or deactivates a user. */
export const setUserActive = (org: string, id: string, active: boolean) => api.post<User>(orgPath(org, 'users', id, active ? 'activate' : 'deactivate'))

export const deleteUser = (org: string, id: string) => api.del(orgPath(org, 'users', id))

/** requirePasswordChange asks the users for a new password at their next sign-in, in one step; it answers how many were changed (users without a password, or already asked, are not). */
export const requirePasswordChange = (org: string, ids: string[]) => api.post<{ changed: number }>(orgPath(org, 'users', 'require-password-change'), { ids })
