import { afterEach, describe, expect, it } from 'vitest'
import { auditActions, formatClock, formatCount, formatWhen, fromLocalInput, isLoopbackURL, toLocalInput, formatRange, fullName, joinLabels, pageCount, parseLabels, plural, statusLabel, titleCase, formatSize, formatDate, policyText } from './format'
import { useLanguage } from './i18n.svelte'

describe('formatRange', () => {
  it('writes the first page of many', () => {
    expect(formatRange(1, 50, 1234)).toBe('1–50 of 1,234')
  })
  it('writes a middle and the last, partial page', () => {
    expect(formatRange(2, 50, 1234)).toBe('51–100 of 1,234')
    expect(formatRange(25, 50, 1234)).toBe('1,201–1,234 of 1,234')
  })
  it('handles small and empty lists', () => {
    expect(formatRange(1, 50, 1)).toBe('1–1 of 1')
    expect(formatRange(1, 50, 0)).toBe('0 of 0')
  })
  it('clamps a page past the end', () => {
    expect(formatRange(9, 50, 60)).toBe('60–60 of 60')
  })
})

describe('counting', () => {
  it('formats numbers with thousands separators', () => {
    expect(formatCount(1234567)).toBe('1,234,567')
  })
  it('counts pages', () => {
    expect(pageCount(50, 0)).toBe(1)
    expect(pageCount(50, 50)).toBe(1)
    expect(pageCount(50, 51)).toBe(2)
  })
  it('picks singular or plural', () => {
    expect(plural(1, 'member', 'members')).toBe('1 member')
    expect(plural(27, 'member', 'members')).toBe('27 members')
    expect(plural(0, 'member', 'members')).toBe('0 members')
    expect(plural(1, 'row')).toBe('1 row')
    expect(plural(1200, 'row')).toBe('1,200 rows')
    expect(plural(2, 'row has', 'rows have')).toBe('2 rows have')
  })
})

describe('labels', () => {
  it('splits on commas, trims, drops empties and duplicates', () => {
    expect(parseLabels(' year 3, football,, choir ,Football ')).toEqual(['year 3', 'football', 'choir'])
    expect(parseLabels('')).toEqual([])
  })
  it('joins for editing', () => {
    expect(joinLabels(['a', 'b c'])).toBe('a, b c')
    expect(joinLabels(null)).toBe('')
  })
})

describe('names', () => {
  it('builds a full name', () => {
    expect(fullName({ first_name: 'Anna', last_name: 'Berg' })).toBe('Anna Berg')
    expect(fullName({ first_name: '', last_name: '', username: 'ab' })).toBe('ab')
  })
  it('labels statuses and types', () => {
    expect(statusLabel('deactivated')).toBe('Deactivated')
    expect(statusLabel('pending')).toBe('Waiting for approval')
    expect(titleCase('student')).toBe('Student')
  })
})

describe('isLoopbackURL', () => {
  it('spots addresses only this computer can reach', () => {
    for (const u of ['http://127.0.0.1:8080', 'http://localhost:8080/', 'http://[::1]:8080', 'https://app.localhost']) {
      expect(isLoopbackURL(u)).toBe(true)
    }
    for (const u of ['https://rollcall.maple.example', 'http://192.168.1.20:8081', '', 'not a url']) {
      expect(isLoopbackURL(u)).toBe(false)
    }
  })
})

describe('times', () => {
  it('writes a time alone today, with its day otherwise', () => {
    const at = new Date(2026, 8, 1, 10, 42)
    expect(formatClock(at.toISOString(), new Date(2026, 8, 1, 18, 0))).toMatch(/^10[:.]42/)
    expect(formatClock(at.toISOString(), new Date(2026, 8, 2, 9, 0))).toMatch(/1/)
    expect(formatClock(at.toISOString(), new Date(2026, 8, 2, 9, 0))).not.toBe(formatClock(at.toISOString(), at))
    expect(formatClock(undefined)).toBe('')
  })

  it('keeps what cannot be read, and round-trips datetime-local values', () => {
    expect(formatWhen('')).toBe('')
    expect(formatWhen('soon')).toBe('soon')
    const iso = new Date(2026, 0, 5, 8, 30).toISOString()
    expect(toLocalInput(iso)).toBe('2026-01-05T08:30')
    expect(fromLocalInput(toLocalInput(iso))).toBe(iso)
    expect(fromLocalInput('')).toBeNull()
  })
})

describe('formatSize', () => {
  it('shows bytes, KB, MB and GB', () => {
    expect(formatSize(512)).toBe('512 bytes')
    expect(formatSize(143_360)).toBe('140 KB')
    expect(formatSize(3.2 * 1024 * 1024)).toBe('3.2 MB')
    expect(formatSize(250 * 1024 * 1024)).toBe('250 MB')
    expect(formatSize(5 * 1024 ** 3)).toBe('5.0 GB')
  })
})

describe('auditActions', () => {
  it('names every action the Go code writes', async () => {
    const { readFileSync, readdirSync } = await import('node:fs')
    const { join } = await import('node:path')
    const dirs = ['../app', '../app/httpapi']
    let src = ''
    for (const d of dirs) {
      for (const f of readdirSync(d)) {
        if (f.endsWith('.go') && !f.endsWith('_test.go')) src += readFileSync(join(d, f), 'utf8') + '\n'
      }
    }
    const actions = new Set<string>()
    for (const m of src.matchAll(/(?:audit(?:Invitation)?\((?:[^,"\n]+, |"", ){2,3}|action = |Record\(ctx, )"([a-z_]+(?:\.[a-z_]+)*)"/g)) actions.add(m[1])
    for (const m of src.matchAll(/\tBulk[A-Za-z]+ += "([a-z_]+)"/g)) actions.add('user.bulk.' + m[1])
    // Any literal shaped like an action of the known kinds (host names, file
    // names and the message IDs of the catalogues, tx.T("sms.…"), aside).
    const kinds = 'admin|organization|smtp|sms|group|user|accounts|import|invitation|invite_code|invite_link|signup|signin|person|outbox|job|lan|database'
    for (const m of src.matchAll(new RegExp(`(?<!\\.[TN]\\()"((?:${kinds})\\.[a-z_]+(?:\\.[a-z_]+)?)"`, 'g'))) {
      if (!/\.(example|pdf)$/.test(m[1])) actions.add(m[1])
    }
    expect(actions.size).toBeGreaterThan(40)
    const missing = [...actions].filter((a) => !(a in auditActions))
    expect(missing).toEqual([])
  })
})

describe('in the UI language', () => {
  afterEach(() => {
    useLanguage('en')
  })

  it('writes Finnish, Swedish and German dates and numbers as those languages do', () => {
    useLanguage('fi')
    expect(formatDate('2026-12-03T12:00:00')).toBe('3.12.2026')
    expect(formatCount(1234)).toBe('1\u00a0234')
    useLanguage('sv')
    expect(formatDate('2026-12-03T12:00:00')).toBe('2026-12-03')
    useLanguage('de')
    expect(formatDate('2026-12-03T12:00:00')).toBe('3.12.2026')
    expect(formatCount(1234)).toBe('1.234')
  })

  it('writes file sizes in the language', () => {
    useLanguage('fi')
    expect(formatSize(512)).toBe('512 tavua')
    expect(formatSize(3.2 * 1024 * 1024)).toBe('3,2 Mt')
    useLanguage('de')
    expect(formatSize(512)).toBe('512 Byte')
    expect(formatSize(5 * 1024 ** 3)).toBe('5,0 GB')
  })

  it('words the password rule in the language, with its plural', () => {
    const rules = { min_length: 10, require_letter: true, require_digit: true, require_symbol: false }
    expect(policyText(rules, 'fallback')).toBe('at least 10 characters with letters and digits')
    useLanguage('fi')
    expect(policyText(rules, 'fallback')).toBe('vähintään 10 merkkiä, joissa on kirjaimia ja numeroita')
    expect(policyText({ ...rules, min_length: 1, require_letter: false, require_digit: false }, '')).toBe('vähintään 1 merkki')
    expect(policyText(undefined, 'at least 8 characters')).toBe('at least 8 characters')
  })

  it('names statuses in the language', () => {
    useLanguage('sv')
    expect(statusLabel('pending')).toBe('Väntar på godkännande')
    expect(statusLabel('odd_state')).toBe('Odd state')
  })
})
