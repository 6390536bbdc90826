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
  return [u.first_name, u.last_name].filter(Boolean).join(' ') || u.username || t('format.noName')
}

// The account types Rollcall has (app/organization.go AccountTypes), one
// and many: "Student", "Students".
const accountTypes: Record<string, [() => string, () => string]> = {
  student: [() => t('accountType.student'), () => t('accountTypes.student')],
  teacher: [() => t('accountType.teacher'), () => t('accountTypes.teacher')],
  admin: [() => t('accountType.admin'), () => t('accountTypes.admin')],
  learner: [() => t('accountType.learner'), () => t('accountTypes.learner')],
  creator: [() => t('accountType.creator'), () => t('accountTypes.creator')],
}

/** accountTypeLabel names an account type in the UI's language: "Student" (many: "Students"). */
export function accountTypeLabel(type: string, many = false): string {
  return accountTypes[type]?.[many ? 1 : 0]() ?? titleCase(type)
}

const groupKinds: Record<string, () => string> = { class: () => t('groups.kindClass'), department: () => t('groups.kindDepartment') }

export function groupKindLabel(kind: string): string {
  return groupKinds[kind]?.() ?? titleCase(kind)
}

const orgKinds: Record<string, () => string> = { school: () => t('format.kindSchool'), enterprise: () => t('format.kindEnterprise') }

export function orgKindLabel(kind: string): string {
  return orgKinds[kind]?.() ?? titleCase(kind)
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

// The codes of the audit log's actions; their names are the messages
// audit.action.<code> (src/locales).
const auditActionCodes = [
  'admin.setup',
  'badge.issue',
  'badge.void',
  'admin.sign_in',
  'admin.sign_out',
  'admin.create',
  'admin.password',
  'admin.disable',
  'admin.enable',
  'admin.delete',
  'admin.name',
  'admin.two_step_setup',
  'admin.two_step_on',
  'admin.two_step_off',
  'admin.recovery_codes',
  'admin.session_end',
  'admin.sessions_end',
  'security.update',
  'organization.create',
  'organization.update',
  'smtp.update',
  'sso.create',
  'sso.update',
  'sso.delete',
  'admin.sso_link',
  'admin.sso_unlink',
  'smtp.test',
  'scim.settings',
  'scim.token_create',
  'scim.token_revoke',
  'sms.update',
  'sms.test',
  'signup.phone_code',
  'person.activation_code',
  'group.create',
  'group.update',
  'group.delete',
  'user.create',
  'user.update',
  'user.role',
  'user.activate',
  'user.deactivate',
  'user.delete',
  'user.erase',
  'user.export',
  'user.roles',
  'user.two_step_off',
  'user.purge',
  'user.bulk.deactivate',
  'user.bulk.reactivate',
  'user.bulk.delete',
  'user.bulk.add_to_group',
  'user.bulk.remove_from_group',
  'user.bulk.move_to_group',
  'user.bulk.add_label',
  'user.bulk.set_delete_on',
  'user.bulk.clear_delete_on',
  'user.bulk.require_password_change',
  'user.bulk.resend_invitation',
  'user.bulk.send_activation',
  'user.activation_mail',
  'rollover',
  'accounts.create',
  'accounts.reset_passwords',
  'import.upload',
  'import.commit',
  'invitation.send',
  'invitation.resend',
  'invitation.resend_expired',
  'invitation.cancel',
  'invitation.accept',
  'invite_code.update',
  'invite_code.regenerate',
  'invite_link.create',
  'invite_link.renew',
  'invite_link.revoke',
  'invite_link.delete',
  'signup.code',
  'signup.link',
  'signup.approve',
  'signup.reject',
  'signup.resume',
  'signin.unlock',
  'person.sign_in',
  'person.app_sign_in',
  'app.add',
  'app.remove',
  'oidc.key_rotate',
  'person.sign_out',
  'person.sso_join',
  'person.sso_link',
  'person.password',
  'person.email.verify',
  'person.join_group',
  'person.join_org',
  'person.password_reset_request',
  'person.password_reset',
  'outbox.retry',
  'job.cancel',
  'job.forget',
  'lan.open',
  'lan.close',
  'database.backup',
  'database.restore',
  'database.compact',
]

/**
 * auditActions names each action of the audit log for people, by its code,
 * in the UI's language: each entry is a getter, read when shown.
 */
export const auditActions: Record<string, string> = Object.defineProperties(
  {},
  Object.fromEntries(auditActionCodes.map((c) => [c, { get: () => t(`audit.action.${c}`), enumerable: true }])),
)

/** auditActionLabel is the action's name for people; unknown codes as they are. */
export function auditActionLabel(action: string): string {
  return auditActions[action] ?? action
}

/** auditActors names the kinds of actor, by their code (getters, like auditActions). */
export const auditActors: Record<string, string> = Object.defineProperties(
  {},
  Object.fromEntries(
    ['admin', 'org-admin', 'teacher', 'person', 'sign-up', 'system', 'cli', 'directory'].map((c) => [c, { get: () => t(`audit.actor.${c}`), enumerable: true }]),
  ),
)

/** auditActorLabel names who acted: the kind, and the name when there is one. */
export function auditActorLabel(actor: { kind: string; name?: string }): string {
  const kind = auditActors[actor.kind] ?? actor.kind
  if (!actor.name || actor.kind === 'sign-up' || actor.kind === 'cli' || actor.kind === 'system') return kind
  return t('audit.actorNamed', { kind, name: actor.name })
}

/** formatSize shows a file size: "512 bytes", "48 KB", "3.2 MB" (in Finnish "512 tavua", "3,2 MB"). */
export function formatSize(bytes: number): string {
  const num = (n: number, digits: number) => new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n)
  if (bytes < 1024) return t('format.bytes', { size: num(bytes, 0) })
  if (bytes < 1024 * 1024) return t('format.kb', { size: num(Math.round(bytes / 1024), 0) })
  const mb = bytes / (1024 * 1024)
  if (mb < 1024) return t('format.mb', { size: mb < 10 ? num(mb, 1) : num(Math.round(mb), 0) })
  return t('format.gb', { size: num(mb / 1024, 1) })
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
