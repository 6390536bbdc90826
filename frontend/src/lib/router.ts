// Hash routes, so that a reload (or a bookmark) keeps the place:
//   #/                                  the first organization, or the empty state
//   #/o/{org}/users?q=&group=&type=&status=&label=&due=&page=
//   #/o/{org}/groups
//   #/o/{org}/groups/{group}            one group: its code, display, members and administrators
//   #/o/{org}/settings
//   #/o/{org}/add?tab=invite&group=ID   "Add users", with a tab per way of adding
//   #/o/{org}/invitations               email invitations and their state
//   #/o/{org}/outbox                    mails waiting for the relay
//   #/o/{org}/links                     invite links
//   #/o/{org}/approvals                 the approval queue
//   #/o/{org}/audit                     the audit log: who changed what
//   #/o/{org}/apps                      connected apps (Rollcall as their OpenID Connect provider)
//   #/o/{org}/display/{group}           the classroom display of a group's code ('-' for the organization's)

export interface UserFilter {
  q: string
  group: string
  type: string
  status: string
  label: string
  /** '30': only people whose deletion date is within 30 days, or past */
  due: string
  page: number
}

export type Section = 'users' | 'groups' | 'settings' | 'add' | 'invitations' | 'outbox' | 'links' | 'approvals' | 'audit' | 'apps'

export type Route =
  | { name: 'home' }
  | { name: 'users'; org: string; filter: UserFilter }
  | { name: 'groups'; org: string }
  | { name: 'group'; org: string; group: string }
  | { name: 'settings'; org: string }
  | { name: 'add'; org: string; tab: string; group: string }
  | { name: 'invitations'; org: string }
  | { name: 'outbox'; org: string }
  | { name: 'links'; org: string }
  | { name: 'approvals'; org: string }
  | { name: 'audit'; org: string }
  | { name: 'apps'; org: string }
  | { name: 'display'; org: string; group: string }
  | { name: 'notfound'; path: string }

export const emptyFilter: UserFilter = { q: '', group: '', type: '', status: '', label: '', due: '', page: 1 }

function decode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** parseHash reads a location.hash (with or without the leading #). */
export function parseHash(hash: string): Route {
  let h = hash.startsWith('#') ? hash.slice(1) : hash
  let query = ''
  const qi = h.indexOf('?')
  if (qi >= 0) {
    query = h.slice(qi + 1)
    h = h.slice(0, qi)
  }
  const parts = h.split('/').filter((p) => p !== '')
  if (parts.length === 0) return { name: 'home' }
  if (parts[0] === 'o' && parts.length === 4 && parts[2] === 'display' && parts[1] && parts[3]) {
    return { name: 'display', org: decode(parts[1]), group: decode(parts[3]) }
  }
  if (parts[0] === 'o' && parts.length === 4 && parts[2] === 'groups' && parts[1] && parts[3]) {
    return { name: 'group', org: decode(parts[1]), group: decode(parts[3]) }
  }
  if (parts[0] === 'o' && parts.length >= 2 && parts.length <= 3) {
    const org = decode(parts[1])
    const section = parts[2] ?? 'users'
    if (!org) return { name: 'notfound', path: h }
    switch (section) {
      case 'users':
        return { name: 'users', org, filter: parseFilter(query) }
      case 'groups':
        return { name: 'groups', org }
      case 'settings':
        return { name: 'settings', org }
      case 'invitations':
        return { name: 'invitations', org }
      case 'outbox':
        return { name: 'outbox', org }
      case 'add': {
        const p = new URLSearchParams(query)
        return { name: 'add', org, tab: p.get('tab') ?? '', group: p.get('group') ?? '' }
      }
      case 'links':
        return { name: 'links', org }
      case 'approvals':
        return { name: 'approvals', org }
      case 'audit':
        return { name: 'audit', org }
      case 'apps':
        return { name: 'apps', org }
    }
  }
  return { name: 'notfound', path: '/' + parts.map(decode).join('/') }
}

function parseFilter(query: string): UserFilter {
  const p = new URLSearchParams(query)
  const page = Number.parseInt(p.get('page') ?? '', 10)
  return {
    q: p.get('q') ?? '',
    group: p.get('group') ?? '',
    type: p.get('type') ?? '',
    status: p.get('status') ?? '',
    label: p.get('label') ?? '',
    due: p.get('due') ?? '',
    page: Number.isFinite(page) && page >= 1 ? page : 1,
  }
}

/** routeHash is the inverse of parseHash: the hash (with #) for a route. */
export function routeHash(route: Route): string {
  switch (route.name) {
    case 'home':
      return '#/'
    case 'notfound':
      return '#' + route.path
    case 'groups':
    case 'settings':
    case 'invitations':
    case 'outbox':
    case 'links':
    case 'approvals':
    case 'audit':
    case 'apps':
      return `#/o/${encodeURIComponent(route.org)}/${route.name}`
    case 'add': {
      const p = new URLSearchParams()
      if (route.tab) p.set('tab', route.tab)
      if (route.group) p.set('group', route.group)
      const qs = p.toString()
      return `#/o/${encodeURIComponent(route.org)}/add` + (qs ? '?' + qs : '')
    }
    case 'display':
      return `#/o/${encodeURIComponent(route.org)}/display/${encodeURIComponent(route.group)}`
    case 'group':
      return `#/o/${encodeURIComponent(route.org)}/groups/${encodeURIComponent(route.group)}`
    case 'users': {
      const p = new URLSearchParams()
      const f = route.filter
      if (f.q) p.set('q', f.q)
      if (f.group) p.set('group', f.group)
      if (f.type) p.set('type', f.type)
      if (f.status) p.set('status', f.status)
      if (f.label) p.set('label', f.label)
      if (f.due) p.set('due', f.due)
      if (f.page > 1) p.set('page', String(f.page))
      const qs = p.toString()
      return `#/o/${encodeURIComponent(route.org)}/users` + (qs ? '?' + qs : '')
    }
  }
}

/** sectionHash links to a section of an organization. */
export function sectionHash(org: string, section: Section, filter: Partial<UserFilter> = {}): string {
  if (section === 'users') return routeHash({ name: 'users', org, filter: { ...emptyFilter, ...filter } })
  if (section === 'add') return routeHash({ name: 'add', org, tab: '', group: '' })
  return routeHash({ name: section, org })
}

/** routeOrg is the organization a route is about, or ''. */
export function routeOrg(route: Route): string {
  return 'org' in route ? route.org : ''
}
