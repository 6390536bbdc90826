// Accounts for pupils without email: the shapes of pasted lines and their
// preview, and the pure helpers the Manual creation tab uses (the API calls
// are in api.ts).
import { t } from '../../lib/i18n.svelte'

export interface NameLine {
  line: number
  form: string
  first_name: string
  last_name: string
  username?: string
  /** the line has a pasted password (the API never sends it back) */
  has_password?: boolean
}

export interface AccountRow extends NameLine {
  username_generated: boolean
  login_email?: string
  problems?: Record<string, string>
  /** what is worth a look (a line pasted twice?); the row is created all the same */
  warnings?: Record<string, string>
}

export interface AccountPreview {
  rows: AccountRow[]
  problems: number
  account_type: string
  password_mode: string
  password_style: string
  password_bits: number
}

export interface BatchSettings {
  account_type: string
  groups: string[]
  password_mode: 'random' | 'same' | 'given'
  password_style: string
  password: string
  must_change_password: boolean
  /** also make each person a sign-in badge, printed on their slip (account types whose rule is the badge alone) */
  badges: boolean
}

// How a pasted line was understood, in the UI's language (src/locales).
const formLabels: Record<string, () => string> = {
  'first last': () => t('manual.form.firstLast'),
  'last, first': () => t('manual.form.lastFirst'),
  columns: () => t('manual.form.columns'),
  username: () => t('manual.form.username'),
}

/** formLabel names how a pasted line was understood ("First Last"); an unknown form as it is. */
export function formLabel(form: string): string {
  return formLabels[form]?.() ?? form
}

/**
 * personKey names a pasted person by what was typed, not by line number, so
 * an edited username stays with its person when lines are added above. The
 * n-th person with the same name gets the n-th key.
 */
export function personKeys(people: NameLine[]): string[] {
  const seen = new Map<string, number>()
  return people.map((p) => {
    const base = `${p.first_name}\u0001${p.last_name}\u0001${p.username ?? ''}`
    const n = (seen.get(base) ?? 0) + 1
    seen.set(base, n)
    return `${base}\u0001${n}`
  })
}

/**
 * lineUsernames maps line numbers to the usernames a person typed in the
 * preview, for the server, which parses the same text again: the pasted
 * passwords travel only in that text, never back and forth as fields.
 */
export function lineUsernames(people: NameLine[], overrides: Map<string, string>): Record<string, string> {
  const keys = personKeys(people)
  const out: Record<string, string> = {}
  people.forEach((p, i) => {
    const u = overrides.get(keys[i])
    if (u) out[String(p.line)] = u
  })
  return out
}

/** Batch is what a preview was made from, and what Create then sends. */
export interface Batch {
  text: string
  usernames: Record<string, string>
  settings: BatchSettings
}

/** strengthLabel describes bits of entropy for a person choosing a style. */
export function strengthLabel(bits: number): string {
  if (bits >= 50) return t('manual.strengthStrong')
  if (bits >= 35) return t('manual.strengthGood')
  if (bits >= 20) return t('manual.strengthFair')
  return t('manual.strengthWeak')
}
