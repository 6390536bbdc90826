// The API calls of connected apps: the organization's apps that sign people
// in through Rollcall (app/oidc.go, app/httpapi/oidc.go).
import { api, orgPath } from '../../lib/api'

/** A registered app (app.ConnectedApp); its ID is the client_id. */
export interface ConnectedApp {
  id: string
  org_id: string
  name: string
  redirect_uris: string[]
  /** no secret; must use PKCE with S256 */
  public: boolean
  /** empty: every account type */
  account_types: string[] | null
  /** group IDs; empty: every group */
  groups: string[] | null
  /** may ask for refresh tokens (offline_access) */
  refresh_tokens: boolean
  created_at: string
}

export interface NewConnectedApp {
  name: string
  redirect_uris: string[]
  public: boolean
  account_types: string[]
  groups: string[]
  refresh_tokens: boolean
}

export interface AppList {
  apps: ConnectedApp[]
  /** the provider's fixed address ('' when it is the address the app reaches Rollcall by) */
  issuer: string
}

export const listApps = (org: string) => api.get<AppList>(orgPath(org, 'apps'))

/** addApp registers an app; the answer holds its secret, the one time it is shown ('' for a public app). */
export const addApp = (org: string, body: NewConnectedApp) => api.post<{ app: ConnectedApp; secret: string }>(orgPath(org, 'apps'), body)

export const removeApp = (org: string, id: string) => api.del(orgPath(org, 'apps', id))

/** discoveryURL is the address to paste into an app: the issuer's /.well-known/openid-configuration. */
export function discoveryURL(issuer: string, origin: string): string {
  return (issuer || origin).replace(/\/+$/, '') + '/.well-known/openid-configuration'
}

/** redirectLines splits the redirect URIs typed one per line (or separated by spaces). */
export function redirectLines(text: string): string[] {
  return text
    .split(/\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}
