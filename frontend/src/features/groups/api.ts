// The API calls of groups (app/group.go, app/httpapi/group.go).
import { api, orgPath } from '../../lib/api'
import type { Group } from '../../lib/types'

/** listGroups returns the organization's groups (classes and departments). */
export async function listGroups(org: string): Promise<Group[]> {
  return (await api.get<{ groups: Group[] }>(orgPath(org, 'groups'))).groups
}

export const createGroup = (org: string, body: unknown) => api.post<Group>(orgPath(org, 'groups'), body)

export const updateGroup = (org: string, id: string, body: unknown) => api.patch<Group>(orgPath(org, 'groups', id), body)

export const deleteGroup = (org: string, id: string) => api.del(orgPath(org, 'groups', id))

/** getGroup returns one group (by ID or name), with its member count. */
export const getGroup = (org: string, id: string) => api.get<Group>(orgPath(org, 'groups', id))
