// The UI's languages: messages from the catalogues in src/locales/*.json
// (one per language, ICU MessageFormat with CLDR plural rules through
// intl-messageformat), dates and numbers through Intl in the same locale.
//
// The language is chosen in one place, pickLanguage: the person's own choice
// (the language menu, kept in this browser), then what the page belongs to
// (the organization's default, an invitation's language), then the
// browser's languages (what it sends as Accept-Language), then English.
import { IntlMessageFormat } from 'intl-messageformat'
import en from '../locales/en.json'
import fi from '../locales/fi.json'
import sv from '../locales/sv.json'
import de from '../locales/de.json'

/** The languages Rollcall speaks; the server's list is app.Languages (app/i18n.go). */
export const languages = ['en', 'fi', 'sv', 'de'] as const
export type Language = (typeof languages)[number]

/** Each language's name in itself, for the language menus. */
export const languageNames: Record<Language, string> = { en: 'English', fi: 'Suomi', sv: 'Svenska', de: 'Deutsch' }

type Catalogue = Record<string, string>
export const catalogues: Record<Language, Catalogue> = { en, fi, sv, de }

const chosenKey = 'rollcall.language'
const state = $state<{ lang: Language }>({ lang: 'en' })

/** lang is the UI's language now; reading it in a template re-renders on a change. */
export function lang(): Language {
  return state.lang
}

/** isLanguage reports whether s is one of the languages, as written. */
export function isLanguage(s: string | null | undefined): s is Language {
  return (languages as readonly string[]).includes(s ?? '')
}

/** match is the language a tag such as "fi-FI" or "sv" names, or null. */
export function match(tag: string | null | undefined): Language | null {
  const base = (tag ?? '').trim().toLowerCase().split(/[-_]/)[0]
  return isLanguage(base) ? base : null
}

/** chosen is the language the person picked in this browser, or null. */
export function chosen(): Language | null {
  try {
    return match(localStorage.getItem(chosenKey))
  } catch {
    return null
  }
}

/**
 * pickLanguage is the first language Rollcall speaks among: the person's
 * own choice, then tags (the organization's or the page's language), then
 * the browser's languages, else English.
 */
export function pickLanguage(...tags: (string | null | undefined)[]): Language {
  const browser = typeof navigator === 'undefined' ? [] : (navigator.languages ?? [navigator.language])
  for (const t of [chosen(), ...tags, ...browser]) {
    const l = match(t)
    if (l) return l
  }
  return 'en'
}

/** useLanguage switches the UI to the language pickLanguage finds for tags. */
export function useLanguage(...tags: (string | null | undefined)[]): Language {
  setLanguage(pickLanguage(...tags))
  return state.lang
}

function setLanguage(l: Language) {
  state.lang = l
  if (typeof document !== 'undefined') document.documentElement.lang = l
}

/** choose keeps the person's choice in this browser and switches to it. */
export function choose(l: Language) {
  try {
    localStorage.setItem(chosenKey, l)
  } catch {
    // private mode: the choice holds for this page only
  }
  setLanguage(l)
}

const formats = new Map<string, IntlMessageFormat>()

/**
 * t is the message key in the UI's language, filled with values
 * ({name}, {count, plural, one {# row} other {# rows}}). A message missing
 * from the language falls back to English, one missing everywhere shows its
 * key (the catalogue test fails on both first).
 */
export function t(key: string, values?: Record<string, string | number | Date | null | undefined>): string {
  const l = state.lang
  let m = catalogues[l][key]
  let ml: Language = l
  if (m === undefined) {
    m = catalogues.en[key]
    ml = 'en'
  }
  if (m === undefined) return key
  const id = ml + '\u0000' + key
  let f = formats.get(id)
  if (!f) {
    f = new IntlMessageFormat(m, ml)
    formats.set(id, f)
  }
  return String(f.format(values as Record<string, string | number | Date>))
}

/** collator orders names as the UI's language does (Swedish: Å Ä Ö after Z). */
export function collator(): Intl.Collator {
  return new Intl.Collator(state.lang)
}
