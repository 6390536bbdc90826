// The API calls of organizations (app/organization.go, app/httpapi/organization.go).
import { api, orgPath } from '../../lib/api'
import type { Organization } from '../../lib/types'

export async function listOrganizations(): Promise<Organization[]> {
  return (await api.get<{ organizations: Organization[] }>('/api/organizations')).organizations
}

export const createOrganization = (body: { name: string; kind: string; slug: string }) => api.post<Organization>('/api/organizations', body)

/** updateOrganization changes the fields given (settings, password policy, sign-up). */
export const updateOrganization = (org: string, body: Record<string, unknown>) => api.patch<Organization>(orgPath(org), body)

/** rootCertificateOffered: under `serve --tls-local` the server offers the
 * root of its own certificate authority at /ca.crt (a file, not the API). */
export async function rootCertificateOffered(): Promise<boolean> {
  try {
    const r = await fetch('/ca.crt', { method: 'HEAD' })
    return r.ok && (r.headers.get('Content-Type') ?? '').includes('x509')
  } catch {
    return false
  }
}
