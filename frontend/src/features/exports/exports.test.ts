import { describe, expect, it } from 'vitest'
import { credentialsQuery, defaultDelimiter, exportFormats, fallbackName } from './api'

describe('exports', () => {
  it('chooses the separator a spreadsheet in the language expects', () => {
    expect(defaultDelimiter('de')).toBe(';')
    expect(defaultDelimiter('fi')).toBe(';')
    expect(defaultDelimiter('pt-BR')).toBe(';')
    expect(defaultDelimiter('en')).toBe(',')
    expect(defaultDelimiter('')).toBe(',')
  })

  it('sends CSV options only with the CSV format', () => {
    expect(credentialsQuery('csv', ';', 'windows-1252')).toBe('format=csv&delimiter=%3B&encoding=windows-1252')
    expect(credentialsQuery('csv', '\t')).toBe('format=csv&delimiter=tab')
    expect(credentialsQuery('entra', ';', 'windows-1252')).toBe('format=entra')
  })

  it('names a fallback file by format', () => {
    expect(fallbackName('oneroster')).toBe('rollcall-oneroster.zip')
    expect(fallbackName('xlsx', 'accounts')).toBe('accounts.xlsx')
    expect(fallbackName('moodle')).toBe('rollcall-moodle.csv')
    expect(exportFormats.map((f) => f.value).sort()).toEqual(['csv', 'entra', 'google', 'moodle', 'oneroster', 'xlsx'])
  })
})
