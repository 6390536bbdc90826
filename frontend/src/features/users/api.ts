// The API calls of users (app/user.go, app/httpapi/user.go).
import type { JobStatus } from '../jobs/api'
import { api, getFile, orgPath } from '../../lib/api'
import { downloadFile, type DownloadResult } from '../../lib/download'
import type { BulkResult, DeletionSummary, User, UserPage } from '../../lib/types'

export interface UserQuery {
  page: number
  per_page: number
  q?: string
  group?: string
  type?: string
  status?: string
  label?: string
  /** days: only people whose deletion date is at most this far away, or past */
  due?: string
}

/** listUsers returns one page of the organization's users, filtered. */
export function listUsers(org: string, f: UserQuery): Promise<UserPage> {
  const p = new URLSearchParams({ page: String(f.page), per_page: String(f.per_page) })
  if (f.q) p.set('q', f.q)
  if (f.group) p.set('group', f.group)
  if (f.type) p.set('type', f.type)
  if (f.status) p.set('status', f.status)
  if (f.label) p.set('label', f.label)
  if (f.due) p.set('due', f.due)
  return api.get<UserPage>(orgPath(org, 'users') + '?' + p.toString())
}

/** createUser adds a person; with slip_password in the body the answer carries the job of their generated password (its slip). */
export const createUser = (org: string, body: unknown) => api.post<User & { job?: JobStatus }>(orgPath(org, 'users'), body)

export const updateUser = (org: string, id: string, body: unknown) => api.patch<User>(orgPath(org, 'users', id), body)

/** setUserActive activates or deactivates a user. */
export const setUserActive = (org: string, id: string, active: boolean) => api.post<User>(orgPath(org, 'users', id, active ? 'activate' : 'deactivate'))

/** sendActivation mails the person a link to set their password (one; the bulk action does many). */
export const sendActivation = (org: string, id: string) => api.post<User>(orgPath(org, 'users', id, 'activation'))

export const deleteUser = (org: string, id: string) => api.del(orgPath(org, 'users', id))

/** The filter of "all that match", as the bulk route takes it. */
export interface BulkFilter {
  q?: string
  group?: string
  type?: string
  status?: string
  label?: string
  due_within?: number
}

/** BulkChoice is what the bulk dialog asks for: the action and what it needs. */
export interface BulkChoice {
  action: BulkAction
  group?: string
  from_group?: string
  label?: string
  delete_on?: string
}

/** BulkRequest is one action on the ticked users, or on all that match a filter (app.BulkRequest). */
export interface BulkRequest {
  selection: { ids: string[] } | { filter: BulkFilter }
  action: BulkAction
  group?: string
  from_group?: string
  label?: string
  delete_on?: string
  /** the number of people shown; the server changes nobody if the selection now holds another */
  expect?: number
}

export type BulkAction =
  | 'deactivate'
  | 'reactivate'
  | 'delete'
  | 'add_to_group'
  | 'remove_from_group'
  | 'move_to_group'
  | 'add_label'
  | 'set_delete_on'
  | 'clear_delete_on'
  | 'require_password_change'
  | 'resend_invitation'
  | 'send_activation'

export const bulkUsers = (org: string, req: BulkRequest) => api.post<BulkResult>(orgPath(org, 'users', 'bulk'), req)

/** listLabels returns the labels the organization's users carry, for the filter. */
export async function listLabels(org: string): Promise<string[]> {
  return (await api.get<{ labels: string[] }>(orgPath(org, 'labels'))).labels
}

/** deletionSummary: who is due for deletion soon, and the next erasure (lifecycle.go). */
export const deletionSummary = (org: string) => api.get<DeletionSummary>(orgPath(org, 'deletions'))

/** exportUser saves everything about one person: JSON for machines, a one-page PDF for parents. */
export async function exportUser(org: string, id: string, format: 'json' | 'pdf'): Promise<DownloadResult> {
  const { blob, name } = await getFile(orgPath(org, 'users', id, 'export') + '?format=' + format, 'person.' + format)
  return downloadFile(name, blob)
}

/** eraseUser erases one person now; confirm is their username as typed. */
export const eraseUser = (org: string, id: string, confirm: string) => api.post<void>(orgPath(org, 'users', id, 'erase'), { confirm })

/** RolesUpdate: admin of the whole organization, and the groups (IDs or names) a person administers (app.RolesUpdate). */
export interface RolesUpdate {
  org_admin: boolean
  groups: string[]
}

/** setUserRoles gives a person admin roles, or takes them away (organization and server admins). */
export const setUserRoles = (org: string, id: string, roles: RolesUpdate) => api.put<User>(orgPath(org, 'users', id, 'roles'), roles)

/**
 * listRoleHolders returns the people of the organization who hold an admin
 * role (of the organization or of groups). The users list has no filter for
 * roles, so the pages are read in large steps and filtered here.
 */
export async function listRoleHolders(org: string): Promise<User[]> {
  const out: User[] = []
  for (let page = 1; page <= 100; page++) {
    const r = await listUsers(org, { page, per_page: 500 })
    out.push(...r.users.filter((u) => u.admin_role || (u.admin_groups ?? []).length > 0))
    if (page * r.per_page >= r.total || r.users.length === 0) break
  }
  return out
}
