// The API calls of single sign-on (app/sso.go, app/httpapi/sso.go): the
// organization's sign-in providers, their test, and the public addresses
// of the "Sign in with …" buttons.
import { api, orgPath } from '../../lib/api'
import { t } from '../../lib/i18n.svelte'

export type ProviderKind = 'entra' | 'google' | 'okta' | 'oidc'

/** A sign-in provider as an admin sees it: the secret only as "set". */
export interface SSOProvider {
  id: string
  org_id: string
  kind: ProviderKind
  name: string
  tenant?: string
  domain?: string
  okta_url?: string
  issuer: string
  client_id: string
  secret_set: boolean
  scopes: string[]
  email_claim: string
  allowed_domains: string[]
  account_type: string
  group?: string
  group_claim?: string
  approval: boolean
  redirect_uri: string
  created_at: string
  updated_at: string
}

/** What a provider is created or changed with; absent fields stay. */
export interface SSOProviderInput {
  kind?: ProviderKind
  name?: string
  tenant?: string
  domain?: string
  okta_url?: string
  issuer?: string
  client_id?: string
  /** absent: keep the stored secret; '': remove it */
  client_secret?: string
  scopes?: string[]
  email_claim?: string
  allowed_domains?: string[]
  account_type?: string
  group?: string
  group_claim?: string
  approval?: boolean
}

export interface SSOTestResult {
  ok: boolean
  message: string
  info?: { issuer: string; authorization_endpoint: string; token_endpoint: string; end_session_endpoint?: string }
}

/** One "Sign in with …" button of a sign-in page. */
export interface SSOButton {
  id: string
  name: string
  kind: ProviderKind
  organization: string
}

export type SSOPurpose = 'portal' | 'admin' | 'invitation' | 'link'

/** The kinds of provider, in the order the dialog offers them. */
export const providerKinds: ProviderKind[] = ['entra', 'google', 'okta', 'oidc']

/** kindLabel names a kind of provider; an unknown one as written. */
export function kindLabel(kind: string): string {
  switch (kind) {
    case 'entra':
      return 'Microsoft Entra ID'
    case 'google':
      return 'Google Workspace'
    case 'okta':
      return 'Okta'
    case 'oidc':
      return t('sso.kindOidc')
    default:
      return kind
  }
}

export async function listProviders(org: string): Promise<SSOProvider[]> {
  return api.get<SSOProvider[]>(orgPath(org, 'sso-providers'))
}

export const createProvider = (org: string, body: SSOProviderInput) => api.post<SSOProvider>(orgPath(org, 'sso-providers'), body)

export const updateProvider = (org: string, id: string, body: SSOProviderInput) =>
  api.patch<SSOProvider>(orgPath(org, 'sso-providers', id), body)

export const deleteProvider = (org: string, id: string) => api.del(orgPath(org, 'sso-providers', id))

export const testProvider = (org: string, id: string) => api.post<SSOTestResult>(orgPath(org, 'sso-providers', id, 'test'), {})

/** ssoButtons lists the buttons for an organization (by short name) or for an email's domain. */
export async function ssoButtons(q: { org?: string; email?: string }): Promise<SSOButton[]> {
  const p = new URLSearchParams()
  if (q.org) p.set('org', q.org)
  else if (q.email) p.set('email', q.email)
  else return []
  return api.get<SSOButton[]>('/api/public/sso/providers?' + p.toString())
}

/** startURL is where a "Sign in with …" button sends the browser (a full navigation, not a fetch). */
export function startURL(provider: string, purpose: SSOPurpose, invitation = ''): string {
  const p = new URLSearchParams({ provider, for: purpose })
  if (invitation) p.set('invitation', invitation)
  return '/api/public/sso/start?' + p.toString()
}

/** An identity linked to the signed-in admin account. */
export interface LinkedIdentity {
  provider: string
  name: string
  issuer: string
  linked_at: string
}

export interface AdminSSOLinks {
  linked: LinkedIdentity[]
  /** the providers (of every organization) an admin account can be linked to */
  providers: SSOButton[]
}

/** mySSOLinks is the server admin's linked identities; a person with an admin role gets 403. */
export const mySSOLinks = () => api.get<AdminSSOLinks>('/api/me/sso-identities')

export const unlinkMySSOIdentity = (provider: string) => api.del('/api/me/sso-identities/' + encodeURIComponent(provider))

/** The provider's end-session address a sign-out offers: "Also sign out of <provider>". */
export interface EndSession {
  url: string
  provider: string
}

/**
 * endSessionOf reads a sign-out's answer: {end_session_url, provider} when
 * the session began at a provider that has an end-session address, else
 * nothing (204). Only an http(s) address is offered as a link.
 */
export function endSessionOf(answer: unknown): EndSession | null {
  if (!answer || typeof answer !== 'object') return null
  const a = answer as Record<string, unknown>
  if (typeof a.end_session_url !== 'string') return null
  let u: URL
  try {
    u = new URL(a.end_session_url)
  } catch {
    return null
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null
  const provider = typeof a.provider === 'string' && a.provider.trim() ? a.provider.trim() : t('sso.theProvider')
  return { url: u.toString(), provider }
}
