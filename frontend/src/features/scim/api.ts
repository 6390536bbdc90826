// The API calls of provisioning from the school's directory (SCIM 2.0;
// app/scim.go, app/httpapi/scim.go): the organization's bearer tokens and
// what the directory's removal of a person does.
import { api, orgPath } from '../../lib/api'

/** A directory token as an admin sees it (never its secret). */
export interface SCIMToken {
  id: string
  org_id: string
  name: string
  created_at: string
  created_by?: string
  /** absent until the directory first used it */
  last_used?: string
}

export type OnDelete = 'deactivate' | 'delete'

/** Settings → Provisioning (app.SCIMProvisioning). */
export interface Provisioning {
  on_delete: OnDelete
  tokens: SCIMToken[]
}

/** A token just made, with its secret: shown this once. */
export interface NewSCIMToken {
  token: SCIMToken
  secret: string
}

export const getProvisioning = (org: string) => api.get<Provisioning>(orgPath(org, 'scim'))

export const setOnDelete = (org: string, on_delete: OnDelete) => api.put<Provisioning>(orgPath(org, 'scim'), { on_delete })

export const createToken = (org: string, name: string) => api.post<NewSCIMToken>(orgPath(org, 'scim', 'tokens'), { name })

export const revokeToken = (org: string, id: string) => api.del(orgPath(org, 'scim', 'tokens', id))

/** scimURL is the tenant URL a directory is given: the organization's public address, else this page's. */
export function scimURL(publicURL: string | undefined, origin: string, slug: string): string {
  const base = (publicURL || origin).replace(/\/+$/, '')
  return `${base}/scim/v2/${encodeURIComponent(slug)}`
}
