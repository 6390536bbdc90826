import { describe, expect, it } from 'vitest'
import { editKey, plural, reason, shownFields, toEdits, uploadPath, type ImportPreview, type ImportRowPreview } from './imports'
import { parseHash, routeHash } from './router'

const fields = ['first_name', 'last_name', 'email', 'username', 'password', 'account_type', 'groups', 'language', 'phone', 'labels', 'deletion_date', 'job_title']

function previewWith(columns: string[]): ImportPreview {
  return {
    file: { name: 'x.csv', sha256: '', format: 'csv', columns, unknown_columns: [], rows: 0 },
    fields,
    rows: [],
    create: 0,
    warnings: 0,
    errors: 0,
    missing_groups: [],
    previous_imports: [],
    account_types: [],
    password_bits: 0,
    password_rules: '',
  }
}

describe('imports', () => {
  it('shows the columns the file has, in template order, never passwords', () => {
    expect(shownFields(previewWith(['groups', 'email', 'first_name', 'password']))).toEqual(['first_name', 'last_name', 'email', 'groups'])
    expect(shownFields(previewWith(['full_name', 'phone']))).toEqual(['first_name', 'last_name', 'phone'])
  })

  it('joins the reasons in column order', () => {
    const r: ImportRowPreview = {
      line: 3,
      values: [],
      status: 'error',
      problems: { groups: 'No group 7Z.', first_name: 'First name missing.', other: 'Else.' },
      warnings: { last_name: 'ignored when there are errors' },
      username: '',
      username_generated: false,
      login_email: '',
      password_generated: false,
    }
    expect(reason(r, fields)).toBe('First name missing. No group 7Z. Else.')
    expect(reason({ ...r, status: 'warning' }, fields)).toBe('ignored when there are errors')
  })

  it('turns edited cells into the API list', () => {
    const cells = new Map([
      [editKey(12, 'email'), 'a@b.example'],
      [editKey(3, 'first_name'), 'Nora'],
      [editKey(3, 'deletion_date'), ''],
    ])
    expect(toEdits(cells)).toEqual([
      { line: 3, field: 'deletion_date', value: '' },
      { line: 3, field: 'first_name', value: 'Nora' },
      { line: 12, field: 'email', value: 'a@b.example' },
    ])
  })

  it('builds upload paths and plurals', () => {
    expect(uploadPath('maple', 'Klasse 3B.xlsx', false)).toBe('/api/organizations/maple/imports?name=Klasse+3B.xlsx')
    expect(uploadPath('maple', 'x', true)).toBe('/api/organizations/maple/imports?format=paste')
    expect(plural(1, 'row')).toBe('1 row')
    expect(plural(1200, 'row')).toBe('1,200 rows')
    expect(plural(2, 'row has', 'rows have')).toBe('2 rows have')
  })

  it('routes to the Add users tabs', () => {
    expect(parseHash('#/o/maple/add?tab=import')).toEqual({ name: 'add', org: 'maple', tab: 'import', group: '' })
    expect(routeHash({ name: 'add', org: 'maple', tab: 'import', group: '' })).toBe('#/o/maple/add?tab=import')
  })
})
