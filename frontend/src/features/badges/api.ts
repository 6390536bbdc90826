// The API calls of sign-in badges (app/badge.go, app/httpapi/badge.go).
// Making badges answers with their PDF (the codes exist only in it); voiding
// answers with how many were voided.
import { api, orgPath, postFile, request } from '../../lib/api'
import { saveDownload } from '../../lib/download'
import { t } from '../../lib/i18n.svelte'

export type BadgeRule = '' | 'badge' | 'badge_pin'

export interface BadgePrint {
  paper: 'a4' | 'letter'
  layout: 'cutlines' | 'avery'
  /** only people without a badge get one (the others keep theirs) */
  only_missing?: boolean
}

/** badgeRule is the organization's rule for an account type ('' : no badges). */
export function badgeRule(org: { badges?: Record<string, string> }, accountType: string): BadgeRule {
  const r = org.badges?.[accountType] ?? ''
  return r === 'badge' || r === 'badge_pin' ? r : ''
}

export function badgeRuleLabel(r: BadgeRule): string {
  return r === 'badge' ? t('badges.ruleBadge') : r === 'badge_pin' ? t('badges.ruleBadgePin') : t('badges.ruleOff')
}

/** Where the badges of a selection are made or voided. */
export type BadgeTarget = { user: string } | { group: string } | { org: true }

function makePath(org: string, t: BadgeTarget): string {
  if ('user' in t) return orgPath(org, 'users', t.user, 'badge')
  if ('group' in t) return orgPath(org, 'groups', t.group, 'badges')
  return orgPath(org, 'badges')
}

/** makeBadges makes new badges and saves their PDF; it answers the notice to show. */
export async function makeBadges(org: string, t: BadgeTarget, p: BadgePrint): Promise<string> {
  return saveDownload(await postFile(makePath(org, t), p, 'badges.pdf'))
}

/** voidBadges takes badges away and answers how many. */
export async function voidBadges(org: string, t: BadgeTarget): Promise<number> {
  if ('user' in t) return (await request<{ voided: number }>('DELETE', orgPath(org, 'users', t.user, 'badge'))).voided
  return (await api.post<{ voided: number }>(makePath(org, t) + '/void')).voided
}
