import { describe, expect, it } from 'vitest'
import { emptyFilter, parseHash, routeHash, routeOrg, sectionHash, type Route } from './router'

describe('parseHash', () => {
  it('reads the home route', () => {
    expect(parseHash('')).toEqual({ name: 'home' })
    expect(parseHash('#')).toEqual({ name: 'home' })
    expect(parseHash('#/')).toEqual({ name: 'home' })
  })

  it('reads the sections of an organization', () => {
    expect(parseHash('#/o/maple/users')).toEqual({ name: 'users', org: 'maple', filter: emptyFilter })
    expect(parseHash('#/o/maple')).toEqual({ name: 'users', org: 'maple', filter: emptyFilter })
    expect(parseHash('#/o/maple/groups')).toEqual({ name: 'groups', org: 'maple' })
    expect(parseHash('#/o/maple/settings/')).toEqual({ name: 'settings', org: 'maple' })
    expect(parseHash('#/o/maple/links')).toEqual({ name: 'links', org: 'maple' })
    expect(parseHash('#/o/maple/approvals')).toEqual({ name: 'approvals', org: 'maple' })
    expect(parseHash('#/o/maple/audit')).toEqual({ name: 'audit', org: 'maple' })
    expect(parseHash('#/o/maple/apps')).toEqual({ name: 'apps', org: 'maple' })
    expect(routeHash({ name: 'apps', org: 'maple' })).toBe('#/o/maple/apps')
    expect(parseHash('#/o/maple/display/3%20B')).toEqual({ name: 'display', org: 'maple', group: '3 B' })
    expect(routeHash({ name: 'display', org: 'maple', group: '3 B' })).toBe('#/o/maple/display/3%20B')
    expect(parseHash('#/o/maple/groups/g%202')).toEqual({ name: 'group', org: 'maple', group: 'g 2' })
    expect(routeHash({ name: 'group', org: 'maple', group: 'g 2' })).toBe('#/o/maple/groups/g%202')
    expect(parseHash('#/o/maple/invitations')).toEqual({ name: 'invitations', org: 'maple' })
    expect(parseHash('#/o/maple/outbox')).toEqual({ name: 'outbox', org: 'maple' })
    expect(parseHash('#/o/maple/add?tab=invite&group=g1')).toEqual({ name: 'add', org: 'maple', tab: 'invite', group: 'g1' })
    expect(parseHash('#/o/maple/add')).toEqual({ name: 'add', org: 'maple', tab: '', group: '' })
  })

  it('reads the user filter from the query', () => {
    expect(parseHash('#/o/maple/users?q=anna%20b&group=g1&type=teacher&status=active&label=Trip%202026&page=3')).toEqual({
      name: 'users',
      org: 'maple',
      filter: { q: 'anna b', group: 'g1', type: 'teacher', status: 'active', label: 'Trip 2026', due: '', page: 3 },
    })
    expect(parseHash('#/o/maple/users?page=0')).toMatchObject({ filter: emptyFilter })
    expect(parseHash('#/o/maple/users?page=x')).toMatchObject({ filter: emptyFilter })
  })

  it('says what it does not know', () => {
    expect(parseHash('#/nowhere')).toEqual({ name: 'notfound', path: '/nowhere' })
    expect(parseHash('#/o/maple/other')).toEqual({ name: 'notfound', path: '/o/maple/other' })
    expect(parseHash('#/o/maple/users/extra/x')).toMatchObject({ name: 'notfound' })
    expect(parseHash('#/o/%E0%A4%A/users')).toMatchObject({ name: 'users', org: '%E0%A4%A' })
  })
})

describe('routeHash', () => {
  it('round-trips every route', () => {
    const routes: Route[] = [
      { name: 'home' },
      { name: 'users', org: 'maple', filter: emptyFilter },
      { name: 'users', org: 'maple', filter: { q: 'ä & b?#', group: 'g 1', type: 'student', status: 'deactivated', label: 'a, b & c', due: '30', page: 2 } },
      { name: 'groups', org: 'maple' },
      { name: 'settings', org: 'a b' },
    ]
    for (const r of routes) expect(parseHash(routeHash(r))).toEqual(r)
  })

  it('leaves out empty filters and page 1', () => {
    expect(routeHash({ name: 'users', org: 'maple', filter: emptyFilter })).toBe('#/o/maple/users')
    expect(sectionHash('maple', 'users', { group: 'g1' })).toBe('#/o/maple/users?group=g1')
    expect(sectionHash('maple', 'groups')).toBe('#/o/maple/groups')
  })

  it('names the organization of a route', () => {
    expect(routeOrg({ name: 'groups', org: 'maple' })).toBe('maple')
    expect(routeOrg({ name: 'home' })).toBe('')
  })
})

describe('Add users tabs', () => {
  it('routes to the import tab', () => {
    expect(parseHash('#/o/maple/add?tab=import')).toEqual({ name: 'add', org: 'maple', tab: 'import', group: '' })
    expect(routeHash({ name: 'add', org: 'maple', tab: 'import', group: '' })).toBe('#/o/maple/add?tab=import')
  })
})
