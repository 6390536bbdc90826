// Pure formatting helpers for what the tables and forms show, in the UI's
// language (lib/i18n): numbers and dates through Intl in its locale.
import { lang, t } from './i18n.svelte'
import type { PasswordRules } from './types'

/**
 * locale is the Intl locale of the UI's language: in English the browser's
 * own English (en-GB writes 3 December), else the language itself.
 */
export function locale(): string {
  const l = lang()
  if (l === 'en' && typeof navigator !== 'undefined' && /^en\b/i.test(navigator.language ?? '')) return navigator.language
  return l
}

/** formatCount writes 1234 as "1,234" (in Finnish "1 234"). */
export function formatCount(n: number): string {
  return new Intl.NumberFormat(locale()).format(n)
}

/**
 * formatRange describes one page of a list: "1–50 of 1,234". An empty list
 * is "0 of 0"; a page past the end is clamped to what exists.
 */
export function formatRange(page: number, perPage: number, total: number): string {
  if (total <= 0 || perPage <= 0) return t('common.rangeEmpty')
  const first = Math.min((Math.max(page, 1) - 1) * perPage + 1, total)
  const last = Math.min(first + perPage - 1, total)
  return t('common.range', { first: formatCount(first), last: formatCount(last), total: formatCount(total) })
}

/** pageCount is how many pages hold total items. */
export function pageCount(perPage: number, total: number): number {
  if (perPage <= 0 || total <= 0) return 1
  return Math.ceil(total / perPage)
}

/** plural picks "1 member" or "27 members"; many defaults to one + "s". */
export function plural(n: number, one: string, many = one + 's'): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`
}

/** parseLabels splits "year 3, football,, choir" into ["year 3", "football", "choir"]. */
export function parseLabels(s: string): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  for (const part of s.split(',')) {
    const l = part.trim()
    if (l && !seen.has(l.toLowerCase())) {
      seen.add(l.toLowerCase())
      out.push(l)
    }
  }
  return out
}

/** joinLabels is the inverse of parseLabels for the form's text field. */
export function joinLabels(labels: string[] | null | undefined): string {
  return (labels ?? []).join(', ')
}

/** titleCase turns "student" into "Student". */
export function titleCase(s: string): string {
  return s ? s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, ' ') : s
}

// The message keys of the statuses (src/locales).
const statusNames: Record<string, string> = {
  active: 'status.active',
  deactivated: 'status.deactivated',
  invited: 'status.invited',
  pending: 'status.pending',
}

export function statusLabel(status: string): string {
  return statusNames[status] ? t(statusNames[status]) : titleCase(status)
}

export const userStatuses = ['active', 'deactivated', 'invited', 'pending'] as const

/** fullName is "First Last", or the username when both are empty. */
export function fullName(u: { first_name: string; last_name: string; username?: string }): string {
  return [u.first_name, u.last_name].filter(Boolean).join(' ') || u.username || '(no name)'
}

const groupKinds: Record<string, () => string> = { class: () => t('groups.kindClass'), department: () => t('groups.kindDepartment') }

export function groupKindLabel(kind: string): string {
  return groupKinds[kind]?.() ?? titleCase(kind)
}

const orgKinds: Record<string, string> = { school: 'School', enterprise: 'Enterprise' }

export function orgKindLabel(kind: string): string {
  return orgKinds[kind] ?? titleCase(kind)
}

/** True when a web address points at this computer only (localhost, 127.x, ::1):
 *  fine for the person at the laptop, unreachable from a pupil's tablet. */
export function isLoopbackURL(address: string): boolean {
  let host: string
  try {
    host = new URL(address).hostname.toLowerCase()
  } catch {
    return false
  }
  host = host.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1'
}

// Dates and times, in the reader's own locale. Every page formats times with
// these, so the same kind of time reads the same everywhere.

/** formatWhen shows an ISO time as a short local date and time: "Sep 3, 2025, 09:05 AM". */
export function formatWhen(iso: string | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  // English names the month ("Sep 3, 2025"); Finnish, Swedish and German write it as a number (3.9.2025).
  return d.toLocaleString(locale(), { year: 'numeric', month: lang() === 'en' ? 'short' : 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' })
}

/** formatDateTime is a date and time as one sentence shows it: "Sep 3, 2025, 9:05 AM". */
export function formatDateTime(iso: string): string {
  return new Date(iso).toLocaleString(locale(), { dateStyle: 'medium', timeStyle: 'short' })
}

/** formatDate is a day as a sentence writes it: "September 3, 2025", in Finnish 3.9.2025. */
export function formatDate(iso: string): string {
  return new Date(iso).toLocaleDateString(locale(), { day: 'numeric', month: lang() === 'en' ? 'long' : 'numeric', year: 'numeric' })
}

/** formatTime is the time of day alone: "10:42 AM". */
export function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' })
}

/** formatClock shows a time as 10:42 (today) or 3 Sep 10:42; '' for none. */
export function formatClock(iso: string | undefined, now = new Date()): string {
  if (!iso) return ''
  const d = new Date(iso)
  const time = formatTime(iso)
  if (d.toDateString() === now.toDateString()) return time
  return d.toLocaleDateString(locale(), { day: 'numeric', month: 'short' }) + ' ' + time
}

/** toLocalInput turns an ISO time into a datetime-local value; fromLocalInput back. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export function fromLocalInput(v: string): string | null {
  if (!v) return null
  const d = new Date(v)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

/** auditActions names each action of the audit log for people, by its code. */
export const auditActions: Record<string, string> = {
  'admin.setup': 'First admin set up',
  'badge.issue': 'Sign-in badges made',
  'badge.void': 'Sign-in badges voided',
  'admin.sign_in': 'Admin signed in',
  'admin.sign_out': 'Admin signed out',
  'admin.create': 'Admin added',
  'admin.password': 'Admin password changed',
  'admin.disable': 'Admin switched off',
  'admin.enable': 'Admin switched on',
  'admin.delete': 'Admin removed',
  'admin.name': 'Admin name changed',
  'admin.two_step_setup': 'Two-step sign-in setup started',
  'admin.two_step_on': 'Two-step sign-in turned on',
  'admin.two_step_off': 'Two-step sign-in turned off',
  'admin.recovery_codes': 'New recovery codes made',
  'admin.session_end': 'Admin session signed out',
  'admin.sessions_end': 'Admin signed out everywhere else',
  'security.update': 'Sign-in rules changed',
  'organization.create': 'Organization created',
  'organization.update': 'Settings changed',
  'smtp.update': 'Mail relay changed',
  'sso.create': 'Sign-in provider added',
  'sso.update': 'Sign-in provider changed',
  'sso.delete': 'Sign-in provider removed',
  'admin.sso_link': 'Admin account linked to a sign-in provider account',
  'admin.sso_unlink': 'Admin account unlinked from a sign-in provider account',
  'smtp.test': 'Test mail sent',
  'scim.settings': 'Provisioning setting changed',
  'scim.token_create': 'Provisioning token made',
  'scim.token_revoke': 'Provisioning token revoked',
  'sms.update': 'SMS gateway changed',
  'sms.test': 'Test SMS sent',
  'signup.phone_code': 'Sign-up waiting for the SMS code',
  'person.activation_code': 'Activation code from an SMS typed',
  'group.create': 'Group created',
  'group.update': 'Group changed',
  'group.delete': 'Group deleted',
  'user.create': 'User added',
  'user.update': 'User changed',
  'user.role': 'Account type changed',
  'user.activate': 'User switched on',
  'user.deactivate': 'User switched off',
  'user.delete': 'User deleted',
  'user.erase': 'Person erased on request',
  'user.export': 'People exported',
  'user.roles': 'Admin roles changed',
  'user.two_step_off': 'Two-step sign-in reset for a person',
  'user.purge': 'People erased after their deletion date',
  'user.bulk.deactivate': 'Users switched off (bulk)',
  'user.bulk.reactivate': 'Users switched on (bulk)',
  'user.bulk.delete': 'Users deleted (bulk)',
  'user.bulk.add_to_group': 'Users added to a group',
  'user.bulk.remove_from_group': 'Users removed from a group',
  'user.bulk.move_to_group': 'Users moved to a group',
  'user.bulk.add_label': 'Label added to users',
  'user.bulk.set_delete_on': 'Deletion date set',
  'user.bulk.clear_delete_on': 'Deletion date cleared',
  'user.bulk.require_password_change': 'New password required at next sign-in',
  'user.bulk.resend_invitation': 'Invitations sent again (bulk)',
  'user.bulk.send_activation': 'Activation mails sent (bulk)',
  'user.activation_mail': 'Activation mail sent',
  rollover: 'Year-end rollover',
  'accounts.create': 'Accounts created',
  'accounts.reset_passwords': 'Passwords reset',
  'import.upload': 'File read for import',
  'import.commit': 'Import done',
  'invitation.send': 'Invitations sent',
  'invitation.resend': 'Invitation sent again',
  'invitation.resend_expired': 'Expired invitations sent again',
  'invitation.cancel': 'Invitation cancelled',
  'invitation.accept': 'Invitation accepted',
  'invite_code.update': 'Invite code changed',
  'invite_code.regenerate': 'New invite code',
  'invite_link.create': 'Invite link created',
  'invite_link.renew': 'Invite link renewed',
  'invite_link.revoke': 'Invite link withdrawn',
  'invite_link.delete': 'Invite link removed',
  'signup.code': 'Signed up with a code',
  'signup.link': 'Signed up with a link',
  'signup.approve': 'Sign-ups approved',
  'signup.reject': 'Sign-ups rejected',
  'signup.resume': 'Sign-up pause lifted',
  'signin.unlock': 'Sign-in unlocked',
  'person.sign_in': 'Signed in',
  'person.app_sign_in': 'Signed in to a connected app',
  'app.add': 'Connected app added',
  'app.remove': 'Connected app removed',
  'oidc.key_rotate': 'Sign-in signing key rotated',
  'person.sign_out': 'Signed out',
  'person.sso_join': 'Joined at the first sign-in with a provider',
  'person.sso_link': 'Linked to a sign-in provider account',
  'person.password': 'Changed own password',
  'person.email.verify': 'Confirmed own email address',
  'person.join_group': 'Joined a group',
  'person.join_org': 'Moved here with an invite code',
  'person.password_reset_request': 'Password link mailed (asked on the sign-in page)',
  'person.password_reset': 'Set a password with a mailed link',
  'outbox.retry': 'Mail retried',
  'job.cancel': 'Job cancelled',
  'job.forget': 'Job result dropped',
  'lan.open': 'Network sign-up opened',
  'lan.close': 'Network sign-up closed',
  'database.backup': 'Backup taken',
  'database.restore': 'Backup restored',
  'database.compact': 'Database compacted',
}

/** auditActionLabel is the action's name for people; unknown codes as they are. */
export function auditActionLabel(action: string): string {
  return auditActions[action] ?? action
}

/** auditActors names the kinds of actor, by their code. */
export const auditActors: Record<string, string> = {
  admin: 'Admin',
  'org-admin': 'Organization admin',
  teacher: 'Group admin',
  person: 'The person',
  'sign-up': 'Sign-up',
  system: 'Scheduler',
  cli: 'Command line',
  directory: 'Directory (SCIM)',
}

/** auditActorLabel names who acted: the kind, and the name when there is one. */
export function auditActorLabel(actor: { kind: string; name?: string }): string {
  const kind = auditActors[actor.kind] ?? actor.kind
  if (!actor.name || actor.kind === 'sign-up' || actor.kind === 'cli' || actor.kind === 'system') return kind
  return `${kind}: ${actor.name}`
}

/** formatSize shows a file size: "512 bytes", "48 KB", "3.2 MB" (in Finnish "512 tavua", "3,2 MB"). */
export function formatSize(bytes: number): string {
  const n = (x: number, digits: number) => new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false }).format(x)
  if (bytes < 1024) return new Intl.NumberFormat(locale(), { style: 'unit', unit: 'byte', unitDisplay: 'long', useGrouping: false }).format(bytes)
  if (bytes < 1024 * 1024) return `${n(Math.round(bytes / 1024), 0)} KB`
  const mb = bytes / (1024 * 1024)
  if (mb < 1024) return `${mb < 10 ? n(mb, 1) : n(Math.round(mb), 0)} MB`
  return `${n(mb / 1024, 1)} GB`
}

/**
 * policyText words a password rule in the UI's language ("at least 10
 * characters with letters and digits"); fallback (the server's English
 * wording) when the rule is not given.
 */
export function policyText(rules: PasswordRules | undefined, fallback: string): string {
  if (!rules) return fallback
  const min = t('policy.min', { count: rules.min_length })
  const need = [rules.require_letter && t('policy.letters'), rules.require_digit && t('policy.digits'), rules.require_symbol && t('policy.symbol')].filter(
    (x): x is string => !!x,
  )
  if (need.length === 0) return min
  return t('policy.with', { min, need: new Intl.ListFormat(locale(), { type: 'conjunction' }).format(need) })
}
