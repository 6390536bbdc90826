import { describe, expect, it } from 'vitest'
import { can, ownGroups, pageRefusal, roleLabel, rules, scopeSummary, type Scope } from './access'

const teacher: Scope = { org_id: 'o1', org_admin: false, groups: ['g2a'] }
const head: Scope = { org_id: 'o1', org_admin: true, groups: [] }

describe('can', () => {
  it('lets a server admin (no scope) do everything', () => {
    for (const what of Object.keys(rules) as (keyof typeof rules)[]) expect(can(null, what)).toBe(true)
  })

  it('keeps server things from organization admins, and nothing of their organization', () => {
    expect(can(head, 'backups')).toBe(false)
    expect(can(head, 'admins')).toBe(false)
    expect(can(head, 'organizations.create')).toBe(false)
    expect(can(head, 'lan.manage')).toBe(false)
    expect(can(head, 'audit.all')).toBe(false)
    expect(can(head, 'org.settings')).toBe(true)
    expect(can(head, 'smtp')).toBe(true)
    expect(can(head, 'rollover')).toBe(true)
    expect(can(head, 'roles')).toBe(true)
    expect(can(head, 'group', 'g2b')).toBe(true)
  })

  it('gives a group admin their groups only', () => {
    expect(can(teacher, 'group', 'g2a')).toBe(true)
    expect(can(teacher, 'group', 'g2b')).toBe(false)
    expect(can(teacher, 'group.code', 'g2a')).toBe(true)
    expect(can(teacher, 'users.create')).toBe(true)
    expect(can(teacher, 'users.list')).toBe(true)
    expect(can(teacher, 'signups')).toBe(true)
    for (const what of ['org.settings', 'deletions', 'imports', 'outbox', 'smtp', 'rollover', 'audit', 'users.bulk', 'users.export', 'users.delete-on', 'users.account-type', 'roles', 'backups', 'admins'] as const) {
      expect(can(teacher, what), what).toBe(false)
    }
    expect(can(teacher, 'signup-pause')).toBe(true)
    expect(can({ ...teacher, groups: [] }, 'users.create')).toBe(false)
    expect(can({ ...teacher, groups: null }, 'group', 'g2a')).toBe(false)
  })

  it('gives every admin their own account: two-step sign-in and sessions; a reset of another person is for the whole organization', () => {
    for (const scope of [teacher, head, null]) {
      expect(can(scope, 'two-step')).toBe(true)
      expect(can(scope, 'sessions')).toBe(true)
    }
    expect(can(teacher, 'two-step.reset')).toBe(false)
    expect(can(head, 'two-step.reset')).toBe(true)
  })
})

describe('pageRefusal', () => {
  it('refuses another class, and pages for the whole organization', () => {
    expect(pageRefusal(teacher, { name: 'group', group: 'g2b' })).toBe('This class is not one of yours.')
    expect(pageRefusal(teacher, { name: 'display', group: 'g2b' })).toBe('This class is not one of yours.')
    expect(pageRefusal(teacher, { name: 'group', group: 'g2a' })).toBe('')
    expect(pageRefusal(teacher, { name: 'display', group: 'g2a' })).toBe('')
    expect(pageRefusal(teacher, { name: 'display', group: '-' })).toMatch(/whole organization/)
    expect(pageRefusal(teacher, { name: 'settings' })).toMatch(/whole organization/)
    expect(pageRefusal(teacher, { name: 'outbox' })).toMatch(/whole organization/)
    expect(pageRefusal(teacher, { name: 'audit' })).toMatch(/whole organization/)
    expect(pageRefusal(teacher, { name: 'apps' })).toMatch(/whole organization/)
    expect(pageRefusal(head, { name: 'apps' })).toBe('')
    expect(pageRefusal(teacher, { name: 'add', tab: 'import' })).toMatch(/whole organization/)
    expect(pageRefusal(teacher, { name: 'add', tab: 'manual' })).toBe('')
    expect(pageRefusal(teacher, { name: 'users' })).toBe('')
    expect(pageRefusal(teacher, { name: 'approvals' })).toBe('')
    expect(pageRefusal(head, { name: 'settings' })).toBe('')
    expect(pageRefusal(head, { name: 'group', group: 'g2b' })).toBe('')
    expect(pageRefusal(undefined, { name: 'settings' })).toBe('')
  })
})

describe('labels', () => {
  const names = new Map([
    ['g2a', '2A'],
    ['g2b', '2B'],
  ])
  it('says what a scope administers', () => {
    expect(scopeSummary(null, 'Maple', names)).toBe('')
    expect(scopeSummary(head, 'Maple Primary', names)).toBe('Admin of Maple Primary')
    expect(scopeSummary(teacher, 'Maple', names)).toBe('Admin of 2A')
    expect(scopeSummary({ ...teacher, groups: ['g2a', 'g2b'] }, 'Maple', names)).toBe('Admin of 2A and 2B')
    expect(scopeSummary({ ...teacher, groups: ['gx'] }, 'Maple', names)).toBe('Group admin')
  })

  it('badges people with a role', () => {
    expect(roleLabel({}, names)).toBe('')
    expect(roleLabel({ admin_role: 'organization' }, names)).toBe('Org admin')
    expect(roleLabel({ admin_groups: ['g2a', 'g2b'] }, names)).toBe('Admin of 2A and 2B')
    expect(roleLabel({ admin_groups: ['gone'] }, names)).toBe('Group admin')
  })

  it('keeps a scope’s own groups', () => {
    const gs = [{ id: 'g2a' }, { id: 'g2b' }]
    expect(ownGroups(teacher, gs)).toEqual([{ id: 'g2a' }])
    expect(ownGroups(head, gs)).toEqual(gs)
    expect(ownGroups(null, gs)).toEqual(gs)
  })
})

// The UI's rules follow the API's table (routeAccess in app/httpapi/roles_test.go):
// each action is checked against the rule of a route it stands for.
describe('rules follow routeAccess', () => {
  it('gives each action the rule of its route', async () => {
    const { readFileSync } = await import('node:fs')
    const src = readFileSync(new URL('../../../app/httpapi/roles_test.go', import.meta.url), 'utf8')
    const names: Record<string, string> = { forServer: 'server', forOrg: 'org', forGroup: 'group', forList: 'list', forAny: 'any', forOwner: 'owner' }
    const table = new Map<string, string>()
    for (const m of src.matchAll(/"([A-Z]+ \/api\/[^"]*)":\s*(for[A-Za-z]+)/g)) table.set(m[1], names[m[2]])
    const route: Partial<Record<keyof typeof rules, string>> = {
      'organizations.create': 'POST /api/organizations',
      admins: 'GET /api/admins',
      backups: 'GET /api/backups',
      'lan.manage': 'POST /api/lan',
      'signup-pause.clear': 'DELETE /api/signup-pause',
      'signin-holds': 'GET /api/signin-holds',
      'audit.all': 'GET /api/audit',
      'two-step': 'GET /api/me/two-step',
      'org.settings': 'PATCH /api/organizations/{org}',
      'org.code': 'GET /api/organizations/{org}/invite-code',
      deletions: 'GET /api/organizations/{org}/deletions',
      'groups.manage': 'POST /api/organizations/{org}/groups',
      imports: 'GET /api/organizations/{org}/imports',
      outbox: 'GET /api/organizations/{org}/outbox',
      smtp: 'GET /api/organizations/{org}/smtp',
      sms: 'GET /api/organizations/{org}/sms',
      rollover: 'POST /api/organizations/{org}/rollover',
      'users.bulk': 'POST /api/organizations/{org}/users/bulk',
      'users.export': 'POST /api/organizations/{org}/users/export',
      'users.delete': 'DELETE /api/organizations/{org}/users/{user}',
      'users.erase': 'POST /api/organizations/{org}/users/{user}/erase',
      roles: 'PUT /api/organizations/{org}/users/{user}/roles',
      'invitations.resend-expired': 'POST /api/organizations/{org}/invitations/resend-expired',
      group: 'GET /api/organizations/{org}/groups/{group}',
      'group.code': 'GET /api/organizations/{org}/groups/{group}/invite-code',
      'users.create': 'POST /api/organizations/{org}/accounts',
      'users.edit': 'PATCH /api/organizations/{org}/users/{user}',
      'users.activate': 'POST /api/organizations/{org}/users/{user}/deactivate',
      'passwords.reset': 'POST /api/organizations/{org}/accounts/reset',
      links: 'POST /api/organizations/{org}/invite-links',
      invitations: 'POST /api/organizations/{org}/invitations',
      signups: 'POST /api/organizations/{org}/signups/approve',
      'users.list': 'GET /api/organizations/{org}/users',
      'groups.list': 'GET /api/organizations/{org}/groups',
      'links.list': 'GET /api/organizations/{org}/invite-links',
      'invitations.list': 'GET /api/organizations/{org}/invitations',
      'signups.list': 'GET /api/organizations/{org}/signups',
      labels: 'GET /api/organizations/{org}/labels',
      'signup-pause': 'GET /api/signup-pause',
      lan: 'GET /api/lan',
      sessions: 'GET /api/me/sessions',
      'two-step.reset': 'DELETE /api/organizations/{org}/users/{user}/two-step',
      'imports.template': 'GET /api/imports/template',
      apps: 'GET /api/organizations/{org}/apps',
      provisioning: 'GET /api/organizations/{org}/scim',
      'badges.org': 'POST /api/organizations/{org}/badges/void',
      badges: 'POST /api/organizations/{org}/groups/{group}/badges/void',
    }
    expect(table.size).toBeGreaterThan(50)
    for (const [what, r] of Object.entries(route)) {
      expect(table.get(r), `${what}: ${r} in routeAccess`).toBe(rules[what as keyof typeof rules])
    }
  })
})
