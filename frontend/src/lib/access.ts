// Who may do what in the admin UI: the same rules as the API's
// (app/access.go; the table routeAccess in app/httpapi/roles_test.go). The
// server checks every call anyway; the UI uses these rules to show only
// what the signed-in admin can use, instead of buttons that answer 403.
//
// A session without a scope is a server admin's (or the desktop window's):
// everything. A scope is an organization admin's (org_admin) or a group
// admin's (the groups they administer).
import { lang, t } from './i18n.svelte'

/** Scope is what an organization or group admin may reach (app.Scope). */
export interface Scope {
  org_id: string
  org_admin: boolean
  /** IDs of the groups a group admin administers */
  groups: string[] | null
}

/**
 * Who may use something, as in routeAccess:
 *   server: server admins only
 *   org:    admins of the whole organization (and server admins)
 *   group:  group admins too, on their own groups' resources
 *   list:   group admins too: the list is narrowed to their groups
 *   any:    every signed-in admin
 */
export type Rule = 'server' | 'org' | 'group' | 'list' | 'any'

/** What the UI asks about, each with its rule. */
export const rules = {
  // The whole installation.
  'organizations.create': 'server', // POST /api/organizations
  admins: 'server', // /api/admins, /api/security
  backups: 'server', // /api/backups, /api/backup, restore (and so a rollover's Undo)
  'lan.manage': 'server', // POST/DELETE /api/lan
  'signup-pause.clear': 'server', // DELETE /api/signup-pause
  'signin-holds': 'server', // /api/signin-holds
  'audit.all': 'server', // GET /api/audit without ?org=
  // The whole organization.
  'org.settings': 'org', // PATCH /api/organizations/{org}
  'org.code': 'org', // the organization's own invite code
  deletions: 'org', // GET .../deletions
  'groups.manage': 'org', // create, rename, delete groups
  imports: 'org',
  outbox: 'org',
  smtp: 'org',
  sms: 'org', // the SMS gateway: GET/PUT .../sms, .../sms/test
  rollover: 'org',
  audit: 'org', // GET /api/audit?org=
  apps: 'org', // connected apps: GET/POST/DELETE .../apps
  provisioning: 'org', // Settings → Provisioning: GET/PUT .../scim, its tokens
  'badges.org': 'org', // make or void every badge of the organization
  'users.bulk': 'org',
  'users.export': 'org', // exports of the organization, and of one person's data
  'users.delete': 'org',
  'users.erase': 'org',
  'users.delete-on': 'org', // deletion dates (refused to group admins in every use case)
  'users.account-type': 'org', // changing a person's account type
  roles: 'org', // PUT .../users/{user}/roles
  'invitations.resend-expired': 'org',
  // A group admin on their own groups.
  group: 'group', // GET .../groups/{group}
  'group.code': 'group', // a group's invite code, QR, poster, classroom display
  'users.create': 'group', // manual accounts, slips
  'users.edit': 'group',
  'users.activate': 'group',
  'passwords.reset': 'group',
  badges: 'group', // a person's badge (new, revoke), a group's badges (print, void)
  links: 'group',
  invitations: 'group',
  signups: 'group', // approve, reject
  // Lists narrowed to a group admin's groups.
  'users.list': 'list',
  'groups.list': 'list',
  'links.list': 'list',
  'invitations.list': 'list',
  'signups.list': 'list',
  labels: 'list',
  jobs: 'list', // GET .../jobs: one's own recent results
  // Anyone signed in.
  'signup-pause': 'any', // GET /api/signup-pause
  lan: 'any', // GET /api/lan
  sessions: 'any', // one's own sessions
  'two-step': 'any', // /api/me/two-step: one's own two-step sign-in (admin accounts and people with a role)
  'two-step.reset': 'org', // DELETE .../users/{user}/two-step: a person's, for their organization's admin
  'imports.template': 'any',
} as const satisfies Record<string, Rule>

export type Action = keyof typeof rules

/**
 * can reports whether an admin with this scope (null or undefined: a server
 * admin) may do what. For a 'group' rule, group names the group acted on
 * (an ID): without it, the answer is whether the admin has any group.
 */
export function can(scope: Scope | null | undefined, what: Action, group?: string): boolean {
  if (!scope) return true
  switch (rules[what] as Rule) {
    case 'server':
      return false
    case 'org':
      return scope.org_admin
    case 'group':
    case 'list':
      if (scope.org_admin) return true
      return group === undefined ? (scope.groups?.length ?? 0) > 0 : (scope.groups ?? []).includes(group)
    case 'any':
      return true
  }
}

/** isGroupAdmin: a scope narrowed to some groups (not the whole organization). */
export function isGroupAdmin(scope: Scope | null | undefined): boolean {
  return Boolean(scope && !scope.org_admin)
}

/** ownGroups keeps the groups (by ID) a scope reaches, in their order. */
export function ownGroups<T extends { id: string }>(scope: Scope | null | undefined, groups: T[]): T[] {
  if (!scope || scope.org_admin) return groups
  return groups.filter((g) => (scope.groups ?? []).includes(g.id))
}

/**
 * scopeSummary says what a scoped admin administers, for the header:
 * "Admin of Maple Primary", "Admin of 2A and 2B". Group IDs whose names are
 * not known yet are left out; with none known, "Group admin".
 */
export function scopeSummary(scope: Scope | null | undefined, orgName: string, groupNames: Map<string, string>): string {
  if (!scope) return ''
  if (scope.org_admin) return orgName ? t('role.adminOf', { names: orgName }) : t('role.orgAdmin')
  const names = (scope.groups ?? []).map((id) => groupNames.get(id)).filter((n): n is string => Boolean(n))
  if (names.length === 0) return t('role.groupAdmin')
  return t('role.adminOf', { names: joinAnd(names) })
}

/** joinAnd: "2A", "2A and 2B", "2A, 2B and 2C" (in the UI's language). */
export function joinAnd(names: string[]): string {
  if (names.length <= 1) return names.join('')
  if (lang() !== 'en') return new Intl.ListFormat(lang(), { type: 'conjunction' }).format(names)
  return names.slice(0, -1).join(', ') + ' and ' + names[names.length - 1]
}

/** roleLabel is the badge of a person with an admin role in the users list ('' for none). */
export function roleLabel(u: { admin_role?: string; admin_groups?: string[] | null }, groupNames: Map<string, string>): string {
  if (u.admin_role === 'organization') return t('role.orgAdminShort')
  const ids = u.admin_groups ?? []
  if (ids.length === 0) return ''
  const names = ids.map((id) => groupNames.get(id)).filter((n): n is string => Boolean(n))
  return names.length > 0 ? t('role.adminOf', { names: joinAnd(names) }) : t('role.groupAdmin')
}

/** Routes by name and what they need (router.ts's Route, without importing it). */
interface PageRoute {
  name: string
  group?: string
  tab?: string
}

/** sectionRules: what each section of the side navigation needs. */
export const sectionRules: Record<string, Action> = {
  users: 'users.list',
  add: 'users.create',
  groups: 'groups.list',
  invitations: 'invitations.list',
  outbox: 'outbox',
  links: 'links.list',
  approvals: 'signups.list',
  audit: 'audit',
  apps: 'apps',
  settings: 'org.settings',
}

/**
 * pageRefusal says why the admin with this scope cannot open a page of the
 * app, or '' when they can: a group that is not theirs, or a page for the
 * admins of the whole organization. A link or a bookmark gets a clear
 * message instead of a page of errors.
 */
export function pageRefusal(scope: Scope | null | undefined, route: PageRoute): string {
  if (!scope) return ''
  const wholeOnly = t('shell.wholeOrgOnly')
  if (route.name === 'display' || route.name === 'group') {
    const g = route.group ?? ''
    if (route.name === 'display' && (g === '-' || g === '')) return can(scope, 'org.code') ? '' : wholeOnly
    return can(scope, 'group', g) ? '' : t('shell.notYourClass')
  }
  if (route.name === 'add' && route.tab === 'import') return can(scope, 'imports') ? '' : wholeOnly
  const need = sectionRules[route.name]
  if (need && !can(scope, need)) return wholeOnly
  return ''
}
